package io.twotower.model;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;

/**
 * Serialises a {@link TwoTowerTrainer} to bytes and back exactly: weights, AdamW moments, step and
 * learning rate, the accumulation counters, any gradients accumulated but not yet applied, the logQ
 * frequency estimator and, with sparse embedding updates, the embedding optimizer's state and the pending
 * embedding rows.
 */
public final class TrainerStateCodec {
    /**
     * Bumped whenever the layout below changes; 2 added the logQ frequency estimator, 3 the embedding
     * optimizer (its name, then for a sparse one its state and pending rows). Versions 1 and 2 (dense
     * embeddings) still read.
     */
    public static final int VERSION = 3;

    private TrainerStateCodec() {}

    public static byte[] encode(TwoTowerTrainer trainer) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeInt(VERSION);
            AdamW opt = trainer.optimizer();
            out.writeLong(opt.stepCount());
            out.writeDouble(opt.learningRate());
            long[] counters = trainer.counters();
            out.writeInt(counters.length);
            for (long c : counters) {
                out.writeLong(c);
            }
            writeList(out, new NDList(trainer.model().parameters()));
            writeList(out, opt.moments());
            NDList pending = trainer.pendingGradients();
            out.writeBoolean(pending != null);
            if (pending != null) {
                writeList(out, pending);
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
                writeList(out, embeddingState);
                NDList rows = trainer.pendingRowGradients();
                writeList(out, rows);
                rows.close();
            }
        }
        return bytes.toByteArray();
    }

    /** Rebuilds a trainer; it owns {@code manager} from now on. */
    public static TwoTowerTrainer decode(byte[] state, NDManager manager, TwoTowerConfig config) throws IOException {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(state))) {
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
            NDList params = readList(in, manager);
            NDList moments = readList(in, manager);
            NDList pending = in.readBoolean() ? readList(in, manager) : null;
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
                embeddingState = readList(in, manager);
                pendingRows = readList(in, manager);
            }
            TwoTowerModel model = TwoTowerModel.of(manager, config, params);
            TwoTowerTrainer trainer = TwoTowerTrainer.restored(config, model, moments, embeddingState, step, lr);
            trainer.restore(counters, pending, pendingRows);
            if (frequencies != null) {
                trainer.restoreFrequencies(frequencies);
            }
            return trainer;
        }
    }

    private static void writeList(DataOutputStream out, NDList list) throws IOException {
        byte[] encoded = list.encode();
        out.writeInt(encoded.length);
        out.write(encoded);
    }

    private static NDList readList(DataInputStream in, NDManager manager) throws IOException {
        byte[] encoded = new byte[in.readInt()];
        in.readFully(encoded);
        return NDList.decode(manager, encoded);
    }
}
