package io.twotower.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.twotower.common.SplitMix64;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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

    /** Sparse embedding updates: the optimizer's row state and the pending rows round-trip too. */
    @Test
    void restoredSparseTrainersContinueIdentically() throws Exception {
        restoredTrainerContinuesIdentically(CONFIG.withValues(Map.of("embedding_optimizer", "lazy_adamw"), "test"));
        restoredTrainerContinuesIdentically(QUALITY.withValues(Map.of("embedding_optimizer", "rowwise_adagrad",
                "embedding_lr", 0.05, "adagrad_initial_accumulator", 0.1, "user_id_embedding", true), "test"));
    }

    /**
     * An odd last micro-batch carries into the next epoch's first step (three micro-batches in one sum),
     * through a checkpoint: dense gradients and sparse rows alike.
     */
    @Test
    void gradientsPendingAcrossAnEpochBoundaryRoundTrip() throws Exception {
        restoredTrainerContinuesIdentically(CONFIG, true);
        restoredTrainerContinuesIdentically(CONFIG.withValues(Map.of("embedding_optimizer", "lazy_adamw"), "test"), true);
    }

    private static void restoredTrainerContinuesIdentically(TwoTowerConfig config) throws Exception {
        restoredTrainerContinuesIdentically(config, false);
    }

    private static void restoredTrainerContinuesIdentically(TwoTowerConfig config, boolean newEpoch) throws Exception {
        try (NDManager root = NDManager.newBaseManager()) {
            TwoTowerTrainer original = TwoTowerTrainer.create(
                    config, TwoTowerModel.initialise(root.newSubManager(), config, 10, 30));
            original.trainBatch(randomBatch(1, 10, 30));
            original.trainBatch(randomBatch(2, 10, 30));
            // One micro-batch into the next accumulation: gradients are pending.
            original.trainBatch(randomBatch(3, 10, 30));
            if (newEpoch) {
                original.startEpoch();
            }
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
            if (config.sparseEmbeddings()) {
                float[][] a = toArrays(original.embeddingOptimizerState());
                float[][] b = toArrays(restored.embeddingOptimizerState());
                for (int i = 0; i < a.length; i++) {
                    assertThat(b[i]).as("embedding optimizer state %s", i).containsExactly(a[i]);
                }
            }
            original.close();
            restored.close();
        }
    }

    private static float[][] toArrays(ai.djl.ndarray.NDList list) {
        float[][] out = new float[list.size()][];
        for (int i = 0; i < out.length; i++) {
            out[i] = list.get(i).toFloatArray();
        }
        return out;
    }

    /** A state streamed in many tiny chunks (every table split into several) restores bit-identically. */
    @Test
    void streamsInTinyChunksAndRestoresBitIdentically() throws Exception {
        try (NDManager root = NDManager.newBaseManager()) {
            TwoTowerTrainer original = TwoTowerTrainer.create(
                    CONFIG, TwoTowerModel.initialise(root.newSubManager(), CONFIG, 10, 30));
            original.trainBatch(randomBatch(1, 10, 30));
            java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
            try (java.io.DataOutputStream out = new java.io.DataOutputStream(bytes)) {
                TrainerStateCodec.write(original, out, 64);
            }
            TwoTowerTrainer restored;
            try (java.io.DataInputStream in = new java.io.DataInputStream(
                    new java.io.ByteArrayInputStream(bytes.toByteArray()))) {
                restored = TrainerStateCodec.read(in, root.newSubManager(), CONFIG);
                assertThat(in.read()).as("nothing left over").isEqualTo(-1);
            }
            NDArray[] p = original.model().parameters();
            NDArray[] q = restored.model().parameters();
            for (int i = 0; i < p.length; i++) {
                assertThat(q[i].toFloatArray()).as(TwoTowerModel.parameterNames()[i]).containsExactly(p[i].toFloatArray());
            }
            assertThat(restored.counters()).containsExactly(original.counters());
            assertThat(restored.trainBatch(randomBatch(2, 10, 30))).isEqualTo(original.trainBatch(randomBatch(2, 10, 30)));
            original.close();
            restored.close();
        }
    }

    /**
     * What versions 2 and 3 wrote for a dense trainer: each array list as one length-prefixed {@code NDList.encode()};
     * version 3 then the embedding optimizer's name.
     */
    private static byte[] legacyEncoding(TwoTowerTrainer trainer, int version) throws IOException {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        try (java.io.DataOutputStream out = new java.io.DataOutputStream(bytes)) {
            out.writeInt(version);
            out.writeLong(trainer.optimizer().stepCount());
            out.writeDouble(trainer.optimizer().learningRate());
            long[] counters = trainer.counters();
            out.writeInt(counters.length);
            for (long c : counters) {
                out.writeLong(c);
            }
            for (ai.djl.ndarray.NDList list : List.of(new ai.djl.ndarray.NDList(trainer.model().parameters()),
                    trainer.optimizer().moments())) {
                byte[] encoded = list.encode();
                out.writeInt(encoded.length);
                out.write(encoded);
            }
            ai.djl.ndarray.NDList pending = trainer.pendingGradients();
            out.writeBoolean(pending != null);
            if (pending != null) {
                byte[] encoded = pending.encode();
                out.writeInt(encoded.length);
                out.write(encoded);
            }
            out.writeBoolean(false);
            if (version >= 3) {
                out.writeUTF("dense");
            }
        }
        return bytes.toByteArray();
    }

    /** Versions 2 and 3 (whole-list NDList encodings; dense embeddings) still restore. */
    @Test
    void aVersion2StateStillRestores() throws Exception {
        for (int version : new int[] {2, 3}) {
            restoresLegacy(version);
        }
    }

    private void restoresLegacy(int version) throws Exception {
        try (NDManager root = NDManager.newBaseManager()) {
            TwoTowerTrainer original = TwoTowerTrainer.create(
                    CONFIG, TwoTowerModel.initialise(root.newSubManager(), CONFIG, 10, 30));
            original.trainBatch(randomBatch(1, 10, 30));
            assertThat(original.frequencies()).as("the legacy writer assumes no logQ estimator").isNull();
            byte[] v2 = legacyEncoding(original, version);

            TwoTowerTrainer restored = TrainerStateCodec.decode(v2, root.newSubManager(), CONFIG);
            assertThat(restored.counters()).containsExactly(original.counters());
            float a = original.trainBatch(randomBatch(2, 10, 30));
            float b = restored.trainBatch(randomBatch(2, 10, 30));
            assertThat(b).isEqualTo(a);
            assertThat(restored.model().parameters()[0].toFloatArray())
                    .containsExactly(original.model().parameters()[0].toFloatArray());
            original.close();
            restored.close();
        }
    }

    @Test
    void aStateOfAnotherEmbeddingOptimizerIsRejectedNamingTheKey() throws Exception {
        try (NDManager root = NDManager.newBaseManager()) {
            try (TwoTowerTrainer dense = TwoTowerTrainer.create(
                    CONFIG, TwoTowerModel.initialise(root.newSubManager(), CONFIG, 10, 30))) {
                byte[] state = TrainerStateCodec.encode(dense);
                TwoTowerConfig sparse = CONFIG.withValues(Map.of("embedding_optimizer", "rowwise_adagrad"), "test");
                assertThatThrownBy(() -> TrainerStateCodec.decode(state, root.newSubManager(), sparse))
                        .hasMessageContaining("embedding_optimizer dense").hasMessageContaining("rowwise_adagrad");
            }
        }
    }
}
