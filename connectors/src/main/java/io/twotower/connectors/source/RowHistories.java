package io.twotower.connectors.source;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * Gives the compact layout's rows their history back from the user-sequence records before them: what the training
 * job's keyed sampler does with keyed state, for readers outside a Flink job (tools, tests). A user's sequence is
 * dropped once its last row of the epoch has passed, so it holds only the users in flight.
 */
public final class RowHistories {
    private final int maxHistory;
    private final Map<Integer, int[]> sequences = new HashMap<>();

    public RowHistories(int maxHistory) {
        this.maxHistory = maxHistory;
    }

    /** The history of row t of {@code sequence}: its up to {@code maxHistory} items before t, oldest first. */
    public static int[] historyOf(int[] sequence, int t, int maxHistory) {
        if (t < 0 || t >= sequence.length) {
            throw new IllegalStateException("row t=" + t + " of a sequence of " + sequence.length + " items");
        }
        return Arrays.copyOfRange(sequence, Math.max(0, t - maxHistory), t);
    }

    /**
     * Keeps a user-sequence record (returns false) or completes a row's history (returns true); a row that carries
     * its history passes unchanged.
     */
    public boolean accept(SequenceRow record) {
        if (record.isUserSequence()) {
            sequences.put(record.user, record.sequence);
            return false;
        }
        if (record.history != null) {
            return true;
        }
        int[] sequence = sequences.get(record.user);
        if (sequence == null) {
            throw new IllegalStateException("row " + record.rowId + " of user " + record.user
                    + " came before the user's sequence");
        }
        record.history = historyOf(sequence, record.t, maxHistory);
        if (record.last) {
            sequences.remove(record.user);
        }
        return true;
    }

    /** Users whose sequence is held (their rows have not all passed). */
    public int inFlight() {
        return sequences.size();
    }
}
