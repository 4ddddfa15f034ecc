package io.twotower.model;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;

/**
 * Serialises a {@link TwoTowerTrainer} to a stream and back exactly: weights, AdamW moments, step and
 * learning rate, the accumulation counters, any gradients accumulated but not yet applied, the logQ
 * frequency estimator and, with sparse embedding updates, the embedding optimizer's state and the pending
 * embedding rows. Arrays go through {@link ChunkedArrays} (version 4 on): a table of any size is written and
 * read in bounded chunks, with no whole-model {@code byte[]} on the heap.
 */
public final class TrainerStateCodec {
    /**
     * Bumped whenever the layout below changes; 2 added the logQ frequency estimator, 3 the embedding
     * optimizer (its name, then for a sparse one its state and pending rows), 4 wrote the arrays in chunks
     * ({@link ChunkedArrays}) instead of one DJL {@code NDList.encode()} each. Versions 1 to 3 still read.
     */
    public static final int VERSION = 4;

    private TrainerStateCodec() {}

    /** The whole state as bytes (small models and tests; checkpoints stream it with {@link #write}). */
    public static byte[] encode(TwoTowerTrainer trainer) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            write(trainer, out);
        }
        return bytes.toByteArray();
    }

    /** Writes the trainer's state to {@code out} (not closed), each array in bounded chunks. */
    public static void write(TwoTowerTrainer trainer, DataOutputStream out) throws IOException {
        write(trainer, out, ChunkedArrays.DEFAULT_CHUNK_BYTES);
    }

    static void write(TwoTowerTrainer trainer, DataOutputStream out, int chunkBytes) throws IOException {
        {
            out.writeInt(VERSION);
            AdamW opt = trainer.optimizer();
            out.writeLong(opt.stepCount());
            out.writeDouble(opt.learningRate());
            long[] counters = trainer.counters();
            out.writeInt(counters.length);
            for (long c : counters) {
                out.writeLong(c);
            }
            ChunkedArrays.writeList(out, new NDList(trainer.model().parameters()), chunkBytes);
            ChunkedArrays.writeList(out, opt.moments(), chunkBytes);
            NDList pending = trainer.pendingGradients();
            out.writeBoolean(pending != null);
            if (pending != null) {
                ChunkedArrays.writeList(out, pending, chunkBytes);
                pending.close();
            }
            StreamingFrequencyEstimator frequencies = trainer.frequencies();
            out.writeBoolean(frequencies != null);
            if (frequencies != null) {
                frequencies.writeTo(out);
            }
            out.writeUTF(trainer.config().embeddingOptimizer());
            NDList embeddingState = trainer.embeddingOptimizerState();
            if (embeddingState != null) {
                ChunkedArrays.writeList(out, embeddingState, chunkBytes);
                NDList rows = trainer.pendingRowGradients();
                ChunkedArrays.writeList(out, rows, chunkBytes);
                rows.close();
            }
        }
    }

    /** Rebuilds a trainer from {@link #encode}'s bytes; it owns {@code manager} from now on. */
    public static TwoTowerTrainer decode(byte[] state, NDManager manager, TwoTowerConfig config) throws IOException {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(state))) {
            return read(in, manager, config);
        }
    }

    /** Rebuilds a trainer from what {@link #write} wrote (or an older version's bytes); it owns {@code manager}. */
    public static TwoTowerTrainer read(DataInputStream in, NDManager manager, TwoTowerConfig config) throws IOException {
        {
            int version = in.readInt();
            if (version < 1 || version > VERSION) {
                throw new IOException("unsupported trainer state version " + version + " (this build reads " + VERSION + ")");
            }
            long step = in.readLong();
            double lr = in.readDouble();
            long[] counters = new long[in.readInt()];
            for (int i = 0; i < counters.length; i++) {
                counters[i] = in.readLong();
            }
            NDList params = readList(in, manager, version);
            NDList moments = readList(in, manager, version);
            NDList pending = in.readBoolean() ? readList(in, manager, version) : null;
            StreamingFrequencyEstimator frequencies =
                    version >= 2 && in.readBoolean() ? StreamingFrequencyEstimator.readFrom(in) : null;
            String embeddingOptimizer = version >= 3 ? in.readUTF() : "dense";
            if (!embeddingOptimizer.equals(config.embeddingOptimizer())) {
                throw new IllegalArgumentException("the saved trainer state was trained with embedding_optimizer "
                        + embeddingOptimizer + ", the configuration sets embedding_optimizer "
                        + config.embeddingOptimizer() + "; resume with the configuration it was trained with");
            }
            NDList embeddingState = null;
            NDList pendingRows = null;
            if (!embeddingOptimizer.equals("dense")) {
                embeddingState = readList(in, manager, version);
                pendingRows = readList(in, manager, version);
            }
            // Version 4's arrays were allocated by libtorch as they were read: the tables need no second copy.
            TwoTowerModel model = version >= 4
                    ? TwoTowerModel.ofNative(manager, config, params)
                    : TwoTowerModel.of(manager, config, params);
            TwoTowerTrainer trainer = TwoTowerTrainer.restored(config, model, moments, embeddingState, step, lr);
            trainer.restore(counters, pending, pendingRows);
            if (frequencies != null) {
                trainer.restoreFrequencies(frequencies);
            }
            return trainer;
        }
    }

    /** Versions 1 to 3 wrote each list as one length-prefixed {@code NDList.encode()}. */
    private static NDList readList(DataInputStream in, NDManager manager, int version) throws IOException {
        if (version >= 4) {
            return ChunkedArrays.readList(in, manager);
        }
        byte[] encoded = new byte[in.readInt()];
        in.readFully(encoded);
        return NDList.decode(manager, encoded);
    }
}
