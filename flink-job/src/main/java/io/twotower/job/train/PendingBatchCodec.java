package io.twotower.job.train;

import io.twotower.model.TrainingBatch;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;

/** The examples of a partly filled mini-batch, in a trainer checkpoint: the next step must see them again. */
final class PendingBatchCodec {
    private PendingBatchCodec() {}

    static void write(DataOutputStream out, TrainingBatch batch) throws IOException {
        out.writeInt(batch.size());
        int k = batch.kNeg();
        for (int i = 0; i < batch.size(); i++) {
            out.writeInt(batch.user(i));
            out.writeInt(batch.positive(i));
            for (int j = 0; j < k; j++) {
                out.writeInt(batch.negatives()[i * k + j]);
            }
            int count = batch.historyCounts()[i];
            out.writeInt(count);
            for (int j = 0; j < count; j++) {
                out.writeInt(batch.historyItems()[i * batch.historyLength() + j]);
            }
        }
    }

    /** Adds the stored examples to {@code batch}; {@code withHistory} is false for version-1 checkpoints. */
    static void read(DataInputStream in, TrainingBatch batch, boolean withHistory) throws IOException {
        int pending = in.readInt();
        int[] negatives = new int[batch.kNeg()];
        for (int i = 0; i < pending; i++) {
            int user = in.readInt();
            int positive = in.readInt();
            for (int j = 0; j < negatives.length; j++) {
                negatives[j] = in.readInt();
            }
            int[] history = new int[withHistory ? in.readInt() : 0];
            for (int j = 0; j < history.length; j++) {
                history[j] = in.readInt();
            }
            batch.add(user, positive, negatives, 0, history, history.length);
        }
    }
}
