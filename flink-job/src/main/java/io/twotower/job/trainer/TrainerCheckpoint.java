package io.twotower.job.trainer;

import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.runtime.state.OperatorStateCheckpointOutputStream;
import org.apache.flink.runtime.state.StateInitializationContext;
import org.apache.flink.runtime.state.StatePartitionStreamProvider;
import org.apache.flink.runtime.state.StateSnapshotContext;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * A trainer operator's whole state as one versioned stream of raw operator state. The model and its optimizer
 * state go from libtorch memory into the checkpoint stream in bounded chunks
 * ({@link io.twotower.model.ChunkedArrays}), so a state of any size is written and read with a heap of a few
 * megabytes: no {@code byte[]} of the whole state (a Java array stops at 2 GB), no second copy in list state.
 *
 * <p>Raw state can be read only while the operator initialises its state, so the trainer operators choose their
 * device and rebuild the trainer in {@code initializeState}, not in {@code open()}. Checkpoints of earlier
 * versions held the state as one byte array in operator list state; they still restore (and that list is
 * emptied, so it is not carried on).
 */
public final class TrainerCheckpoint {
    private static final int BUFFER = 1 << 16;

    /** Writes the operator's state; the stream is Flink's and stays open. */
    @FunctionalInterface
    public interface StateWriter {
        void write(DataOutputStream out) throws IOException;
    }

    /** Reads what a {@link StateWriter} (or an earlier version's list state) wrote. */
    @FunctionalInterface
    public interface StateReader {
        void read(DataInputStream in) throws IOException;
    }

    /** Writes state that lives outside the raw stream (the tables' changed rows); returns the bytes written. */
    @FunctionalInterface
    public interface KeyedWriter {
        long write() throws Exception;
    }

    private TrainerCheckpoint() {}

    /**
     * Restores the operator from the checkpoint it starts from, if any: the raw state, or the list state
     * {@code legacyName} of an earlier version. Returns whether anything was restored.
     */
    public static boolean restore(StateInitializationContext context, String legacyName, StateReader reader)
            throws Exception {
        ListState<byte[]> legacy = context.getOperatorStateStore().getListState(
                new ListStateDescriptor<>(legacyName, PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO));
        boolean restored = false;
        for (StatePartitionStreamProvider partition : context.getRawOperatorStateInputs()) {
            try (InputStream in = partition.getStream()) {
                reader.read(new DataInputStream(new BufferedInputStream(in, BUFFER)));
            }
            restored = true;
        }
        if (!restored) {
            for (byte[] bytes : legacy.get()) {
                reader.read(new DataInputStream(new ByteArrayInputStream(bytes)));
                restored = true;
            }
        }
        legacy.clear();
        return restored;
    }

    /**
     * Writes the state into this checkpoint's raw operator state and records its size and the time the write took
     * in {@code stats} (confirmed when Flink reports the checkpoint complete).
     */
    public static void write(StateSnapshotContext context, StateWriter writer, CheckpointStats stats)
            throws Exception {
        write(context, writer, null, stats);
    }

    /**
     * As {@link #write(StateSnapshotContext, StateWriter, CheckpointStats)}, and first {@code keyed} (null: none)
     * writes the rows that changed into keyed state, which the state backend then checkpoints with this one;
     * the recorded size counts both.
     */
    public static void write(StateSnapshotContext context, StateWriter writer, KeyedWriter keyed, CheckpointStats stats)
            throws Exception {
        long start = System.nanoTime();
        long keyedBytes = keyed == null ? 0 : keyed.write();
        OperatorStateCheckpointOutputStream raw = context.getRawOperatorStateOutput();
        raw.startNewPartition();
        Counting counting = new Counting(raw);
        DataOutputStream out = new DataOutputStream(new BufferedOutputStream(counting, BUFFER));
        writer.write(out);
        out.flush();
        stats.taken(context.getCheckpointId(), keyedBytes + counting.count, (System.nanoTime() - start) / 1e9);
    }

    /** Counts what passes (DataOutputStream.size() is an int and stops at 2 GB). Flink closes the raw stream. */
    private static final class Counting extends FilterOutputStream {
        long count;

        Counting(OutputStream out) {
            super(out);
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
            count += len;
        }

        @Override
        public void close() {
            // not ours to close
        }
    }
}
