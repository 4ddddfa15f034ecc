package io.twotower.job.recommend;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class TopItemsTest {
    @Test
    void keepsTheBestKWithTiesToTheLowerIndex() {
        double[] scores = {0.5, 0.9, -0.2, 0.9, 0.7, 0.5, 0.95};
        TopItems.TopK top = new TopItems.TopK(4);
        // Offered out of order: the heap, not the order of arrival, breaks ties.
        for (int i : new int[] {6, 5, 4, 3, 2, 1, 0}) {
            top.offer(i, scores[i]);
        }
        List<TopItems.Scored> best = top.best();
        assertThat(best).extracting(s -> s.index).containsExactly(6, 1, 3, 4);
        assertThat(best).extracting(s -> s.score).containsExactly(0.95, 0.9, 0.9, 0.7);

        TopItems.TopK few = new TopItems.TopK(10);
        few.offer(2, 0.1);
        few.offer(0, 0.1);
        assertThat(few.best()).extracting(s -> s.index).containsExactly(0, 2);
    }
}
