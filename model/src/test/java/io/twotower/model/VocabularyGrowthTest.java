package io.twotower.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import io.twotower.common.SplitMix64;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Growing the vocabulary keeps every existing row, adds seed-initialised rows, and loses no gradient. */
class VocabularyGrowthTest {
    private static final TwoTowerConfig CONFIG = TwoTowerConfig.defaults().withValues(Map.of(
            "d_model", 8, "dropout", 0, "accum_steps", 2, "k_neg", 3, "batch_size", 4, "lr", 0.01), "test");

    private static TrainingBatch batch(int seed, int users, int items) {
        SplitMix64 rng = new SplitMix64(seed);
        TrainingBatch b = new TrainingBatch(4, 3);
        int[] neg = new int[3];
        for (int i = 0; i < 4; i++) {
            for (int j = 0; j < 3; j++) {
                neg[j] = rng.nextInt(items);
            }
            b.add(rng.nextInt(users), rng.nextInt(items), neg, 0);
        }
        return b;
    }

    @Test
    void growingMidAccumulationEqualsTrainingOnTheLargerTablesFromTheStart() throws Exception {
        try (NDManager root = NDManager.newBaseManager()) {
            TwoTowerTrainer grown = TwoTowerTrainer.create(CONFIG, TwoTowerModel.initialise(root.newSubManager(), CONFIG, 5, 10));
            float[] userRowsBefore = grown.model().parameters()[0].toFloatArray();
            grown.trainBatch(batch(1, 5, 10));
            // Mid-accumulation (one micro-batch pending), grow the tables, then finish the step.
            byte[] beforeGrowth = TrainerStateCodec.encode(grown);
            grown.growVocabulary(7, 13);
            assertThat(grown.model().numUsers()).isEqualTo(7);
            assertThat(grown.model().numItems()).isEqualTo(13);
            grown.trainBatch(batch(2, 5, 10));
            assertThat(grown.steps()).isEqualTo(1);

            // Reference: the same state, but the second micro-batch trained without growing.
            TwoTowerTrainer plain = TrainerStateCodec.decode(beforeGrowth, root.newSubManager(), CONFIG);
            plain.trainBatch(batch(2, 5, 10));
            NDArray[] g = grown.model().parameters();
            NDArray[] p = plain.model().parameters();
            for (int i = 0; i < p.length; i++) {
                float[] expected = p[i].toFloatArray();
                float[] actual = g[i].toFloatArray();
                // The first rows (the old vocabulary) and every other parameter follow the same step.
                float[] prefix = java.util.Arrays.copyOf(actual, expected.length);
                assertThat(prefix).as(TwoTowerModel.parameterNames()[i]).containsExactly(expected,
                        org.assertj.core.api.Assertions.within(1e-6f));
            }
            assertThat(userRowsBefore).hasSize(5 * 8);
            grown.close();
            plain.close();
        }
    }

    /**
     * With sparse embedding updates: the optimizer's row state grows with the tables (fresh rows as a fresh
     * optimizer's), the pending rows survive, and the step after growing equals the step without it exactly.
     */
    @Test
    void sparseOptimizersGrowTheirStateAndKeepPendingRows() throws Exception {
        for (String optimizer : new String[] {"lazy_adamw", "rowwise_adagrad"}) {
            TwoTowerConfig config = CONFIG.withValues(Map.of("embedding_optimizer", optimizer,
                    "adagrad_initial_accumulator", 0.25), "test");
            try (NDManager root = NDManager.newBaseManager()) {
                TwoTowerTrainer grown = TwoTowerTrainer.create(config,
                        TwoTowerModel.initialise(root.newSubManager(), config, 5, 10));
                grown.trainBatch(batch(1, 5, 10));
                byte[] beforeGrowth = TrainerStateCodec.encode(grown);
                grown.growVocabulary(7, 13);
                NDList state = grown.embeddingOptimizerState();
                if (optimizer.equals("lazy_adamw")) {
                    assertThat(state.get(0).getShape().get(0)).isEqualTo(7);
                    assertThat(state.get(2).getShape().get(0)).isEqualTo(13);
                    assertThat(Arrays.copyOfRange(state.get(2).toFloatArray(), 10 * 8, 13 * 8)).containsOnly(0f);
                } else {
                    assertThat(state.get(0).getShape().get(0)).isEqualTo(7);
                    assertThat(state.get(1).toFloatArray()).hasSize(13).startsWith(0.25f, 0.25f);
                    assertThat(Arrays.copyOfRange(state.get(1).toFloatArray(), 10, 13)).containsOnly(0.25f);
                }
                float[] newItemRows = Arrays.copyOfRange(grown.model().parameters()[9].toFloatArray(), 10 * 8, 13 * 8);
                grown.trainBatch(batch(2, 5, 10));
                assertThat(grown.steps()).isEqualTo(1);

                TwoTowerTrainer plain = TrainerStateCodec.decode(beforeGrowth, root.newSubManager(), config);
                plain.trainBatch(batch(2, 5, 10));
                NDArray[] g = grown.model().parameters();
                NDArray[] p = plain.model().parameters();
                for (int i = 0; i < p.length; i++) {
                    float[] expected = p[i].toFloatArray();
                    assertThat(Arrays.copyOf(g[i].toFloatArray(), expected.length))
                            .as("%s %s", optimizer, TwoTowerModel.parameterNames()[i]).containsExactly(expected);
                }
                // Rows no step touched yet are as initialised; a step over the grown vocabulary updates them.
                assertThat(Arrays.copyOfRange(g[9].toFloatArray(), 10 * 8, 13 * 8)).containsExactly(newItemRows);
                TrainingBatch late = new TrainingBatch(4, 3);
                for (int i = 0; i < 4; i++) {
                    late.add(5 + i % 2, 10 + i % 3, new int[] {12, 11, 10}, 0);
                }
                grown.startEpoch();
                grown.trainBatch(late);
                grown.trainBatch(late);
                assertThat(grown.steps()).isEqualTo(2);
                float[] after = Arrays.copyOfRange(grown.model().parameters()[9].toFloatArray(), 10 * 8, 13 * 8);
                for (int r = 0; r < 3; r++) {
                    assertThat(Arrays.copyOfRange(after, r * 8, r * 8 + 8)).as("%s new item %s", optimizer, 10 + r)
                            .isNotEqualTo(Arrays.copyOfRange(newItemRows, r * 8, r * 8 + 8));
                }
                grown.close();
                plain.close();
            }
        }
    }
}
