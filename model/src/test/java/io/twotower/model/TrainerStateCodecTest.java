package io.twotower.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.twotower.common.SplitMix64;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** A trainer serialised mid-accumulation and restored takes exactly the same next steps as the original. */
class TrainerStateCodecTest {
    private static final TwoTowerConfig CONFIG = TwoTowerConfig.defaults().withValues(Map.of(
            "d_model", 16, "dropout", 0.2, "accum_steps", 2, "k_neg", 4, "batch_size", 8, "lr", 0.01), "test");

    /** The quality options: history tower, mixed negatives with logQ (the estimator must round-trip too). */
    private static final TwoTowerConfig QUALITY = CONFIG.withValues(Map.of(
            "model", "history", "history_length", 3, "history_pooling", "recency", "negatives", "mixed",
            "frequency_buckets", 64), "test");

    static TrainingBatch randomBatch(long seed, int users, int items) {
        SplitMix64 rng = new SplitMix64(seed);
        TrainingBatch batch = new TrainingBatch(8, 4, 3);
        int[] neg = new int[4];
        int[] history = new int[5];
        for (int i = 0; i < 8; i++) {
            for (int j = 0; j < 4; j++) {
                neg[j] = rng.nextInt(items);
            }
            int count = rng.nextInt(history.length + 1);
            for (int j = 0; j < count; j++) {
                history[j] = rng.nextInt(items);
            }
            batch.add(rng.nextInt(users), rng.nextInt(items), neg, 0, history, count);
        }
        return batch;
    }

    @Test
    void restoredTrainerContinuesIdentically() throws Exception {
        restoredTrainerContinuesIdentically(CONFIG);
    }

    @Test
    void restoredQualityTrainerContinuesIdentically() throws Exception {
        restoredTrainerContinuesIdentically(QUALITY);
    }

    private static void restoredTrainerContinuesIdentically(TwoTowerConfig config) throws Exception {
        try (NDManager root = NDManager.newBaseManager()) {
            TwoTowerTrainer original = TwoTowerTrainer.create(
                    config, TwoTowerModel.initialise(root.newSubManager(), config, 10, 30));
            original.trainBatch(randomBatch(1, 10, 30));
            original.trainBatch(randomBatch(2, 10, 30));
            // One micro-batch into the next accumulation: gradients are pending.
            original.trainBatch(randomBatch(3, 10, 30));
            byte[] state = TrainerStateCodec.encode(original);

            TwoTowerTrainer restored = TrainerStateCodec.decode(state, root.newSubManager(), config);
            if (config.negatives().equals("uniform")) {
                assertThat(restored.frequencies()).isNull();
            } else {
                assertThat(restored.frequencies().step()).isEqualTo(original.frequencies().step()).isEqualTo(3);
            }
            assertThat(restored.steps()).isEqualTo(original.steps()).isEqualTo(1);
            assertThat(restored.counters()).containsExactly(original.counters());

            for (long seed = 4; seed < 8; seed++) {
                float a = original.trainBatch(randomBatch(seed, 10, 30));
                float b = restored.trainBatch(randomBatch(seed, 10, 30));
                assertThat(b).isEqualTo(a);
            }
            assertThat(restored.steps()).isEqualTo(original.steps()).isEqualTo(3);
            NDArray[] p = original.model().parameters();
            NDArray[] q = restored.model().parameters();
            for (int i = 0; i < p.length; i++) {
                assertThat(q[i].toFloatArray()).as(TwoTowerModel.parameterNames()[i]).containsExactly(p[i].toFloatArray());
            }
            original.close();
            restored.close();
        }
    }
}
