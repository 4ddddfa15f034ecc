package io.twotower.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** A trainer serialised mid-accumulation and restored takes exactly the same next steps as the original. */
class TrainerStateCodecTest {
    private static final TwoTowerConfig CONFIG = TwoTowerConfig.defaults().withValues(Map.of(
            "d_model", 16, "dropout", 0.2, "accum_steps", 2, "k_neg", 4, "batch_size", 8, "lr", 0.01), "test");

    private static TrainingBatch randomBatch(long seed, int users, int items) {
        SplitMix64 rng = new SplitMix64(seed);
        TrainingBatch batch = new TrainingBatch(8, 4);
        int[] neg = new int[4];
        for (int i = 0; i < 8; i++) {
            for (int j = 0; j < 4; j++) {
                neg[j] = rng.nextInt(items);
            }
            batch.add(rng.nextInt(users), rng.nextInt(items), neg, 0);
        }
        return batch;
    }

    @Test
    void restoredTrainerContinuesIdentically() throws Exception {
        try (NDManager root = NDManager.newBaseManager()) {
            TwoTowerTrainer original = TwoTowerTrainer.create(
                    CONFIG, TwoTowerModel.initialise(root.newSubManager(), CONFIG, 10, 30));
            original.trainBatch(randomBatch(1, 10, 30));
            original.trainBatch(randomBatch(2, 10, 30));
            // One micro-batch into the next accumulation: gradients are pending.
            original.trainBatch(randomBatch(3, 10, 30));
            byte[] state = TrainerStateCodec.encode(original);

            TwoTowerTrainer restored = TrainerStateCodec.decode(state, root.newSubManager(), CONFIG);
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
