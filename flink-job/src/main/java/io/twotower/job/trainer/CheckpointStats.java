package io.twotower.job.trainer;

import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.TreeMap;

/**
 * The checkpoints a run completed, for its results file: how many (over all restores), and the trainer state's
 * bytes and the seconds its synchronous write took in the last one. The trainer's state is nearly all of a
 * checkpoint (the source's splits and the samplers' state are small).
 */
public final class CheckpointStats {
    private long completed;
    private long lastBytes;
    private double lastSeconds;
    /** Taken but not yet confirmed complete, by checkpoint id: bytes and seconds. */
    private final TreeMap<Long, double[]> pending = new TreeMap<>();

    /** This operator wrote {@code bytes} of state for checkpoint {@code id} in {@code seconds}. */
    public void taken(long id, long bytes, double seconds) {
        pending.put(id, new double[] {bytes, seconds});
        while (pending.size() > 16) {
            pending.pollFirstEntry(); // aborted or subsumed ones
        }
    }

    /** Flink confirmed checkpoint {@code id}. */
    public void completed(long id) {
        double[] taken = pending.remove(id);
        if (taken != null) {
            completed++;
            lastBytes = (long) taken[0];
            lastSeconds = taken[1];
        }
        pending.headMap(id).clear();
    }

    public long completed() {
        return completed;
    }

    /** In a checkpoint: the completed count before it, and the last figures. */
    public void write(DataOutputStream out) throws IOException {
        out.writeLong(completed);
        out.writeLong(lastBytes);
        out.writeDouble(lastSeconds);
    }

    /** Restoring from a checkpoint: that checkpoint completed too (it is being restored from). */
    public static CheckpointStats read(DataInputStream in) throws IOException {
        CheckpointStats stats = new CheckpointStats();
        stats.completed = in.readLong() + 1;
        stats.lastBytes = in.readLong();
        stats.lastSeconds = in.readDouble();
        return stats;
    }

    /** {@code "checkpoints": {"completed": n, "last_bytes": .., "last_seconds": ..}} in {@code results}. */
    public void addTo(ObjectNode results) {
        ObjectNode node = results.putObject("checkpoints");
        node.put("completed", completed);
        node.put("last_bytes", lastBytes);
        node.put("last_seconds", lastSeconds);
    }
}
