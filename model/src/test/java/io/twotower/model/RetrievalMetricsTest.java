package io.twotower.model;

import ai.djl.ndarray.NDManager;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class RetrievalMetricsTest {
    @Test
    void metricsFromRanksByHand() {
        // Ranks 0, 3, 60, 200: Recall@10 = 2/4, Recall@50 = 2/4, Recall@100 = 3/4.
        int[] ranks = {0, 3, 60, 200};
        boolean[] recommended = {true, false, true, false};
        Map<String, Double> m = RetrievalMetrics.fromRanks(ranks, recommended, 10);
        assertThat(m.get("Recall@10")).isEqualTo(0.5);
        assertThat(m.get("Recall@50")).isEqualTo(0.5);
        assertThat(m.get("Recall@100")).isEqualTo(0.75);
        assertThat(m.get("NDCG@10")).isCloseTo((1.0 + 1.0 / (Math.log(5) / Math.log(2))) / 4, within(1e-12));
        assertThat(m.get("MRR")).isCloseTo((1.0 + 1.0 / 4 + 1.0 / 61 + 1.0 / 201) / 4, within(1e-12));
        assertThat(m.get("Coverage@10")).isEqualTo(0.5);
    }

    @Test
    void seenItemFilteringOnlyEverRaisesThePositivesRank() {
        TwoTowerConfig config = TwoTowerConfig.defaults().withValues(Map.of("d_model", 8, "dropout", 0), "test");
        try (NDManager root = NDManager.newBaseManager();
                TwoTowerModel model = TwoTowerModel.initialise(root.newSubManager(), config, 6, 40)) {
            RetrievalEvaluator evaluator = new RetrievalEvaluator(16);
            int[] users = {0, 1, 2, 3, 4, 5};
            int[] pos = {3, 9, 17, 22, 31, 39};
            int[][] seen = new int[6][];
            int[] plain = evaluator.ranks(model, users, null, pos, null);
            for (int r = 0; r < 6; r++) {
                // Exclude every item ranked above the positive, and the positive itself (which must stay).
                seen[r] = new int[40];
                for (int i = 0; i < 40; i++) {
                    seen[r][i] = i;
                }
            }
            int[] filtered = evaluator.ranks(model, users, null, pos, seen);
            for (int r = 0; r < 6; r++) {
                assertThat(filtered[r]).isZero();
                assertThat(plain[r]).isGreaterThanOrEqualTo(filtered[r]);
            }
            boolean[] recommended = new boolean[40];
            evaluator.ranks(model, users, null, pos, null, 10, recommended);
            int covered = 0;
            for (boolean b : recommended) {
                covered += b ? 1 : 0;
            }
            assertThat(covered).isBetween(10, 40);
        }
    }

    @Test
    void bothWaysInOnePassEqualTheTwoSeparateRankings() {
        TwoTowerConfig config = TwoTowerConfig.defaults().withValues(Map.of("d_model", 8, "dropout", 0,
                "model", "history", "history_length", 3), "test");
        try (NDManager root = NDManager.newBaseManager();
                TwoTowerModel model = TwoTowerModel.initialise(root.newSubManager(), config, 6, 40)) {
            // Block size 4 over 6 rows: two blocks; histories with repeats, the positive and empty ones.
            RetrievalEvaluator evaluator = new RetrievalEvaluator(4);
            int[] users = {0, 1, 2, 3, 4, 5};
            int[] pos = {3, 9, 17, 22, 31, 39};
            int[][] seen = {{1, 2, 2, 3, 5}, {}, {17, 0, 39, 38, 37, 36, 35, 34}, {21, 22, 23}, null, {1, 1, 1}};
            int[][] both = evaluator.ranksBothWays(model, users, seen, pos, seen);
            assertThat(both[0]).containsExactly(evaluator.ranks(model, users, seen, pos, null));
            assertThat(both[1]).containsExactly(evaluator.ranks(model, users, seen, pos, seen));
            boolean lifted = false;
            for (int r = 0; r < 6; r++) {
                lifted |= both[1][r] < both[0][r];
            }
            assertThat(lifted).as("some seen item outscored a positive, so filtering changes a rank").isTrue();
        }
    }
}
