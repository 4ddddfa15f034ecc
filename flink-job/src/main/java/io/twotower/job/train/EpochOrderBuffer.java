package io.twotower.job.train;

import io.twotower.job.trainer.StateStreams;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Restores the source's order of an epoch after the parallel negative samplers, whose outputs reach the
 * trainer interleaved by timing: examples are released strictly by epoch position, so the same data and
 * seed give the same mini-batches (and bit-identical weights) at every parallelism.
 *
 * <p>The buffer stays small: with one reader, fed in position order, an example can only be early by what the
 * network buffers between them hold (a sampler that falls behind back-pressures the reader and with it every other
 * sampler); with parallel readers, each emits only positions below the trainer's progress plus a read-ahead
 * ({@link TrainerProgressSender}). The cap turns a bug into a clear error instead of an out-of-memory.
 */
final class EpochOrderBuffer {
    /** Far above what the network buffers between reader and trainer can hold. */
    static final int DEFAULT_CAPACITY = 1 << 20;

    private final int capacity;
    private final Map<Long, TrainingExample> early = new HashMap<>();
    private long next;

    EpochOrderBuffer(int capacity) {
        this.capacity = capacity;
    }

    /** Hands {@code example} and every buffered example that now follows in order to {@code inOrder}. */
    void add(TrainingExample example, Consumer<TrainingExample> inOrder) {
        // In the common case nothing waits: no map look-ups (and no boxing) per example.
        if (example.position < next || (!early.isEmpty() && early.containsKey(example.position))) {
            throw new IllegalStateException(String.format(
                    "two examples at position %d of epoch %d: the training source's readers must number one epoch "
                            + "together (one reader, or merged splits)",
                    example.position, example.epoch + 1));
        }
        if (example.position != next) {
            if (early.size() >= capacity) {
                throw new IllegalStateException(String.format("%d examples of epoch %d arrived ahead of position %d,"
                        + " which never came", early.size(), example.epoch + 1, next));
            }
            early.put(example.position, example);
            return;
        }
        inOrder.accept(example);
        next++;
        while (!early.isEmpty()) {
            TrainingExample e = early.remove(next);
            if (e == null) {
                return;
            }
            inOrder.accept(e);
            next++;
        }
    }

    /**
     * Ends the epoch: every example up to the last must have been released. Fails with the first missing
     * position otherwise (an example lost between source and trainer).
     */
    void finishEpoch(int epoch) {
        if (!early.isEmpty()) {
            throw new IllegalStateException(String.format("epoch %d ended with %d examples waiting for position %d,"
                    + " which never arrived", epoch + 1, early.size(), next));
        }
        next = 0;
    }

    /** Examples received but not yet released. */
    int buffered() {
        return early.size();
    }

    /** Position the next released example must have. */
    long nextPosition() {
        return next;
    }

    /**
     * Continues an epoch whose first {@code released} examples were trained (the trainer's count of examples this
     * epoch, so the checkpoint need not store it), with nothing waiting; {@link #readWaiting} adds what waited.
     */
    void resumeAt(long released) {
        early.clear();
        next = released;
    }

    /** The examples waiting for their turn (the released count is the trainer's; see {@link #resumeAt}). */
    void writeWaiting(DataOutputStream out) throws IOException {
        out.writeInt(early.size());
        for (TrainingExample e : early.values()) {
            out.writeInt(e.epoch);
            out.writeLong(e.position);
            out.writeInt(e.user);
            out.writeInt(e.positive);
            StateStreams.writeInts(out, e.negatives);
            StateStreams.writeInts(out, e.history);
        }
    }

    void readWaiting(DataInputStream in) throws IOException {
        int n = in.readInt();
        for (int i = 0; i < n; i++) {
            TrainingExample e = new TrainingExample();
            e.epoch = in.readInt();
            e.position = in.readLong();
            e.user = in.readInt();
            e.positive = in.readInt();
            e.negatives = StateStreams.readInts(in);
            e.history = StateStreams.readInts(in);
            early.put(e.position, e);
        }
    }

}
