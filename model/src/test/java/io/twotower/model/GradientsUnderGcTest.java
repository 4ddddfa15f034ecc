package io.twotower.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The real training step with garbage collection and direct-memory churn forced between forward and
 * backward computes the same gradients, bit for bit, as without. A tensor that autograd keeps but that
 * is backed by a collected Java buffer (DJL's {@code mul(Number)} scalars) reads the churn's garbage
 * here: before {@link GraphScalars} this test saw wrong gradients on almost every step.
 */
class GradientsUnderGcTest {
    private static final TwoTowerConfig SEED = TwoTowerConfig.defaults().withValues(Map.of(
            "d_model", 16, "dropout", 0.2, "accum_steps", 2, "k_neg", 4, "batch_size", 8, "lr", 0.01), "test");
    private static final TwoTowerConfig QUALITY = SEED.withValues(Map.of(
            "model", "history", "history_length", 3, "history_pooling", "recency", "negatives", "mixed",
            "frequency_buckets", 64, "fixed_logit_scale", 20.0), "test");
    private static final int USERS = 10;
    private static final int ITEMS = 30;
    private static final int STEPS = 6;

    @Test
    void seedModelGradientsIgnoreGarbageCollection() {
        assertChurnChangesNothing(SEED);
    }

    @Test
    void qualityModelGradientsIgnoreGarbageCollection() {
        assertChurnChangesNothing(QUALITY);
    }

    private static void assertChurnChangesNothing(TwoTowerConfig config) {
        try (NDManager root = NDManager.newBaseManager()) {
            TwoTowerTrainer quiet = TwoTowerTrainer.create(
                    config, TwoTowerModel.initialise(root.newSubManager(), config, USERS, ITEMS));
            TwoTowerTrainer churned = TwoTowerTrainer.create(
                    config, TwoTowerModel.initialise(root.newSubManager(), config, USERS, ITEMS));
            DirectMemoryChurn churn = new DirectMemoryChurn();
            churned.beforeBackward = churn;
            for (int step = 0; step < STEPS; step++) {
                for (int micro = 0; micro < config.accumSteps(); micro++) {
                    TrainingBatch batch = TrainerStateCodecTest.randomBatch(step * 31L + micro, USERS, ITEMS);
                    float quietLoss = quiet.trainBatch(batch);
                    float churnedLoss = churned.trainBatch(batch);
                    assertThat(churnedLoss).as("loss at step %d.%d", step, micro).isEqualTo(quietLoss);
                    if (micro < config.accumSteps() - 1) {
                        assertBitIdentical(quiet.pendingGradients(), churned.pendingGradients(),
                                "accumulated gradients at step " + step + "." + micro);
                    }
                    churn.release();
                }
                assertBitIdentical(new NDList(quiet.model().parameters()), new NDList(churned.model().parameters()),
                        "parameters after step " + step);
            }
            assertThat(churn.runs).isEqualTo(STEPS * config.accumSteps());
            quiet.close();
            churned.close();
        }
    }

    private static void assertBitIdentical(NDList expected, NDList actual, String what) {
        assertThat(actual.size()).isEqualTo(expected.size());
        for (int i = 0; i < expected.size(); i++) {
            float[] e = expected.get(i).toFloatArray();
            float[] a = actual.get(i).toFloatArray();
            int[] eBits = new int[e.length];
            int[] aBits = new int[a.length];
            for (int j = 0; j < e.length; j++) {
                eBits[j] = Float.floatToRawIntBits(e[j]);
                aBits[j] = Float.floatToRawIntBits(a[j]);
            }
            assertThat(aBits).as("%s: %s", what, TwoTowerModel.parameterNames()[i]).containsExactly(eBits);
        }
    }

    /**
     * Collects garbage (so the Cleaner frees unreachable direct buffers) and then takes small direct
     * buffers filled with a NaN pattern, which malloc hands out of the chunks just freed.
     */
    private static final class DirectMemoryChurn implements Runnable {
        private final List<ByteBuffer> held = new ArrayList<>();
        int runs;

        @Override
        public void run() {
            runs++;
            System.gc();
            try {
                // The Cleaner frees collected buffers on its own thread.
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            for (int i = 0; i < 4000; i++) {
                ByteBuffer b = ByteBuffer.allocateDirect(4 + (i % 4) * 4);
                while (b.hasRemaining()) {
                    b.put((byte) 0x7f);
                }
                held.add(b);
            }
        }

        void release() {
            held.clear();
        }
    }
}
