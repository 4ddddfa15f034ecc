package io.twotower.connectors.dataset;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The test rows' seen items: the training items with the validation item added, kept sorted and distinct. */
class SeenItemsTest {
    @Test
    void plusInsertsEachItemInOrderOnceAndLeavesTheInputAlone() {
        int[][] training = {{2, 5, 9}, {}, {1}};
        int[][] seen = SeenItems.plus(training, new int[] {0, 1, 2, 0}, new int[] {7, 4, 1, 0});

        assertThat(seen[0]).containsExactly(0, 2, 5, 7, 9);
        assertThat(seen[1]).containsExactly(4);
        assertThat(seen[2]).containsExactly(1);
        assertThat(training[0]).containsExactly(2, 5, 9);
        assertThat(training[1]).isEmpty();
    }
}
