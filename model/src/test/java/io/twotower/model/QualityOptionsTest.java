package io.twotower.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * The quality options against values computed by hand in plain Java: the history tower's pooling, and
 * the in-batch and mixed softmax losses with the logQ correction and accidental hits.
 */
class QualityOptionsTest {
    private static final int USERS = 6;
    private static final int ITEMS = 12;
    private static final TwoTowerConfig HISTORY = TwoTowerConfig.defaults().withValues(Map.of(
            "d_model", 8, "dropout", 0.0, "k_neg", 2, "batch_size", 4, "model", "history", "history_length", 3,
            "negatives", "in_batch", "fixed_logit_scale", 20.0, "frequency_buckets", 1024), "test");

    @Test
    void historyTowerPoolsTheLastItemsMeanOrRecencyWeighted() {
        for (String pooling : new String[] {"mean", "recency"}) {
            TwoTowerConfig config = HISTORY.withValues(Map.of("history_pooling", pooling, "recency_decay", 0.5), "test");
            try (NDManager root = NDManager.newBaseManager()) {
                JniUtils.setGradMode(false);
                TwoTowerModel model = TwoTowerModel.initialise(root.newSubManager(), config, USERS, ITEMS);
                int[][] histories = {{1, 2, 3, 4, 5}, {7}, {}};
                int[] users = {0, 1, 2};
                float[] actual = model.userVectors(root, users, histories, 0, 3).toFloatArray();

                float[] table = model.itemTower().parameters()[0].toFloatArray();
                float[] pooled = new float[3 * 8];
                // Row 0 keeps its last 3 items (3, 4, 5: oldest first); row 1 one item; row 2 none (zero input).
                double[][] weights = pooling.equals("mean")
                        ? new double[][] {{1 / 3.0, 1 / 3.0, 1 / 3.0}, {1}, {}}
                        : new double[][] {{0.25 / 1.75, 0.5 / 1.75, 1 / 1.75}, {1}, {}};
                int[][] window = {{3, 4, 5}, {7}, {}};
                for (int r = 0; r < 3; r++) {
                    for (int j = 0; j < window[r].length; j++) {
                        for (int d = 0; d < 8; d++) {
                            pooled[r * 8 + d] += (float) (weights[r][j] * table[window[r][j] * 8 + d]);
                        }
                    }
                }
                float[] expected = model.userTower().forwardInput(root.create(pooled, new Shape(3, 8)), false)
                        .toFloatArray();
                assertThat(actual).as(pooling).containsExactly(expected, within(1e-6f));
                // The user-id table takes no part: users 0 and 2 with the same history get the same vector.
                float[] same = model.userVectors(root, new int[] {2, 0}, new int[][] {{7}, {7}}, 0, 2).toFloatArray();
                for (int d = 0; d < 8; d++) {
                    assertThat(same[d]).isEqualTo(same[8 + d]);
                }
                model.close();
            }
        }
    }

    @Test
    void inBatchLossSubtractsLogQAndMasksAccidentalHits() {
        assertLossMatchesHand(HISTORY);
    }

    @Test
    void mixedLossSharesUniformNegativesWithTheirInclusionProbability() {
        assertLossMatchesHand(HISTORY.withValues(Map.of("negatives", "mixed"), "test"));
    }

    @Test
    void withoutCorrectionTheLossIsThePlainInBatchSoftmax() {
        assertLossMatchesHand(HISTORY.withValues(Map.of("logq_correction", false), "test"));
    }

    private static void assertLossMatchesHand(TwoTowerConfig config) {
        try (NDManager root = NDManager.newBaseManager()) {
            JniUtils.setGradMode(false);
            TwoTowerTrainer trainer = TwoTowerTrainer.create(
                    config, TwoTowerModel.initialise(root.newSubManager(), config, USERS, ITEMS));
            // A stream where item 5 is ten times as frequent as the others: its logQ is much larger.
            TrainingBatch warm = new TrainingBatch(4, 2, 3);
            int[] neg = {0, 0};
            for (int step = 0; step < 40; step++) {
                warm.clear();
                warm.add(0, 5, neg, 0, new int[0], 0);
                warm.add(1, 5, neg, 0, new int[0], 0);
                warm.add(2, step % 10, neg, 0, new int[0], 0);
                trainer.frequencies().update(new int[] {5, 5, step % 10}, 3);
            }
            // Rows 0 and 1 share positive 5: for each, the other's copy is an accidental hit, not a negative.
            TrainingBatch batch = new TrainingBatch(4, 2, 3);
            batch.add(0, 5, new int[] {9, 10}, 0, new int[] {1, 2}, 2);
            batch.add(1, 5, new int[] {11, 9}, 0, new int[] {3}, 1);
            batch.add(2, 7, new int[] {0, 1}, 0, new int[] {4, 6, 8}, 3);
            boolean mixed = config.negatives().equals("mixed");
            int[] candidates = mixed ? new int[] {5, 7, 9, 10, 11, 0, 1} : new int[] {5, 7};
            int[] label = {0, 0, 1};

            TwoTowerModel model = trainer.model();
            int[][] histories = {{1, 2}, {3}, {4, 6, 8}};
            float[] u = model.userVectors(root, new int[] {0, 1, 2}, histories, 0, 3).toFloatArray();
            NDArray ids = root.create(java.util.Arrays.stream(candidates).asLongStream().toArray());
            float[] v = model.itemVectors(ids, false).toFloatArray();
            double uniformPerStep = mixed ? 3.0 * 2 / ITEMS : 0;
            double expected = 0;
            double uncorrected = 0;
            for (int i = 0; i < 3; i++) {
                double[] logits = new double[candidates.length];
                double[] plain = new double[candidates.length];
                for (int c = 0; c < candidates.length; c++) {
                    double dot = 0;
                    for (int d = 0; d < 8; d++) {
                        dot += u[i * 8 + d] * v[c * 8 + d];
                    }
                    plain[c] = 20.0 * dot;
                    logits[c] = plain[c] - (config.logQCorrection()
                            ? trainer.frequencies().inclusionLogProbability(candidates[c], uniformPerStep) : 0);
                }
                expected += -logSoftmax(logits, label[i]) / 3;
                uncorrected += -logSoftmax(plain, label[i]) / 3;
            }
            float actual = trainer.batchLoss(root, batch, false).getFloat();
            assertThat((double) actual).isCloseTo(expected, within(1e-5));
            if (config.logQCorrection()) {
                // The correction is live: it moves the loss by more than rounding.
                assertThat(Math.abs(expected - uncorrected)).isGreaterThan(1e-3);
                assertThat(trainer.frequencies().inclusionLogProbability(5, 0))
                        .isGreaterThan(trainer.frequencies().inclusionLogProbability(7, 0));
            }
            trainer.close();
        }
    }

    private static double logSoftmax(double[] logits, int index) {
        double max = Double.NEGATIVE_INFINITY;
        for (double l : logits) {
            max = Math.max(max, l);
        }
        double sum = 0;
        for (double l : logits) {
            sum += Math.exp(l - max);
        }
        return logits[index] - max - Math.log(sum);
    }

    @Test
    void optionsAreValidatedByName() {
        assertThatThrownBy(() -> HISTORY.withValues(Map.of("negatives", "hard"), "--set"))
                .hasMessageContaining("'negatives'").hasMessageContaining("uniform, in_batch, mixed");
        assertThatThrownBy(() -> HISTORY.withValues(Map.of("logq_correction", "yes"), "--set"))
                .hasMessageContaining("'logq_correction'").hasMessageContaining("true or false");
        assertThatThrownBy(() -> HISTORY.withValues(Map.of("model", "bert"), "--set"))
                .hasMessageContaining("'model'");
        assertThatThrownBy(() -> HISTORY.withValues(Map.of("history_length", 0), "--set"))
                .hasMessageContaining("'history_length'");
        assertThat(TwoTowerConfig.defaults().historyLength()).as("seed mode carries no history").isZero();
        assertThat(TwoTowerConfig.defaults().userIdEmbedding()).as("the seed tower reads the user id").isTrue();
        assertThat(HISTORY.userIdEmbedding()).isFalse();
        assertThat(HISTORY.withValues(Map.of("exclude_history", "true"), "--set").excludeHistory()).isTrue();
    }
}
