package io.twotower.job.online;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PrequentialShareTest {
    @Test
    void autoRanksEveryBatchOfASmallCatalogAndThinsOutLargeOnes() {
        assertThat(PrequentialShare.resolve(-1, 9_724)).isEqualTo(1.0);
        assertThat(PrequentialShare.resolve(-1, 100_000)).isEqualTo(1.0);
        assertThat(PrequentialShare.resolve(-1, 1_000_000)).isEqualTo(0.1);
        assertThat(PrequentialShare.resolve(0.25, 1_000_000)).isEqualTo(0.25);
    }

    @Test
    void theRankedBatchesAreSpreadEvenlyAndCountTheShare() {
        StringBuilder pattern = new StringBuilder();
        int ranked = 0;
        for (long b = 0; b < 1000; b++) {
            boolean r = PrequentialShare.ranks(b, 0.1);
            if (b < 20) {
                pattern.append(r ? 'R' : '.');
            }
            ranked += r ? 1 : 0;
        }
        assertThat(pattern).hasToString(".........R.........R");
        assertThat(ranked).isEqualTo(100);
        for (long b = 0; b < 100; b++) {
            assertThat(PrequentialShare.ranks(b, 1.0)).isTrue();
        }
    }
}
