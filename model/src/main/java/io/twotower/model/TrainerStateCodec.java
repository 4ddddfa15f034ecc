package io.twotower.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

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
     * ({@link ChunkedArrays}) instead of one DJL {@code NDList.encode()} each, 5 a flag for embedding tables
     * saved elsewhere ({@link #writeWithoutTables}). Versions 1 to 4 still read.
     */
    public static final int VERSION = 5;

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

    /**
     * Writes everything but the two embedding tables and their optimizer state, which the caller saves as rows
     * (the rows changed since the last save: {@link TwoTowerTrainer#trackChangedRows()}); the tables' sizes are
     * written, and {@link #read} returns a trainer whose rows then come from {@link TwoTowerTrainer#loadRows}.
     * Needs a sparse embedding optimizer.
     */
    public static void writeWithoutTables(TwoTowerTrainer trainer, DataOutputStream out) throws IOException {
        write(trainer, out, ChunkedArrays.DEFAULT_CHUNK_BYTES, true);
    }

    static void write(TwoTowerTrainer trainer, DataOutputStream out, int chunkBytes) throws IOException {
        write(trainer, out, chunkBytes, false);
    }

    private static void write(TwoTowerTrainer trainer, DataOutputStream out, int chunkBytes, boolean withoutTables)
            throws IOException {
        if (withoutTables) {
            trainer.savedRowWidth(); // throws with a dense embedding optimizer
        }
        {
            out.writeInt(VERSION);
            out.writeBoolean(withoutTables);
            AdamW opt = trainer.optimizer();
            out.writeLong(opt.stepCount());
            out.writeDouble(opt.learningRate());
            long[] counters = trainer.counters();
            out.writeInt(counters.length);
            for (long c : counters) {
                out.writeLong(c);
            }
            NDList parameters = new NDList(trainer.model().parameters());
            NDList placeholders = new NDList();
            if (withoutTables) {
                // The tables' sizes, and empty arrays in their places.
                out.writeLong(trainer.model().numUsers());
                out.writeLong(trainer.model().numItems());
                for (int t = 0; t < 2; t++) {
                    NDArray empty = trainer.model().manager().zeros(new Shape(0, trainer.model().dModel()));
                    placeholders.add(empty);
                    parameters.set(tableIndex(t), empty);
                }
            }
            ChunkedArrays.writeList(out, parameters, chunkBytes);
            placeholders.close();
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
                if (!withoutTables) {
                    ChunkedArrays.writeList(out, embeddingState, chunkBytes);
                }
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
            boolean withoutTables = version >= 5 && in.readBoolean();
            long step = in.readLong();
            double lr = in.readDouble();
            long[] counters = new long[in.readInt()];
            for (int i = 0; i < counters.length; i++) {
                counters[i] = in.readLong();
            }
            long[] tableRows = withoutTables ? new long[] {in.readLong(), in.readLong()} : null;
            NDList params = readList(in, manager, version);
            if (withoutTables) {
                for (int t = 0; t < 2; t++) {
                    NDArray empty = params.get(tableIndex(t));
                    params.set(tableIndex(t), manager.zeros(new Shape(tableRows[t], empty.getShape().get(1))));
                    empty.close();
                }
            }
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
                embeddingState = withoutTables ? null : readList(in, manager, version);
                pendingRows = readList(in, manager, version);
            }
            // Version 4's arrays were allocated by libtorch as they were read: the tables need no second copy.
            TwoTowerModel model = version >= 4
                    ? TwoTowerModel.ofNative(manager, config, params)
                    : TwoTowerModel.of(manager, config, params);
            TwoTowerTrainer trainer = withoutTables
                    ? TwoTowerTrainer.restoredAwaitingRows(config, model, moments, step, lr)
                    : TwoTowerTrainer.restored(config, model, moments, embeddingState, step, lr);
            trainer.restore(counters, pending, pendingRows);
            if (frequencies != null) {
                trainer.restoreFrequencies(frequencies);
            }
            return trainer;
        }
    }

    /** The user (0) and item (1) embedding table's index in the model's parameters. */
    private static int tableIndex(int table) {
        return table == 0 ? 0 : Tower.parameterNames("user").length;
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
