package io.twotower.connectors.source;

/**
 * One record as it leaves the source. Mostly a training row: the notebook's (user, positive, history) plus the epoch
 * it belongs to, a row id that is stable across epochs and runs (for reproducible sampling) and its position in the
 * epoch's shuffled order (so the trainer can restore that order after keyed operators).
 *
 * <p>The compact layout sends a user's history once instead of with every row: first a user-sequence record
 * ({@link #sequence} set: the user's training items), which the keyed operator downstream keeps in its keyed state
 * until the user's row marked {@link #last}, then the user's rows with {@link #history} null and {@link #t} the
 * row's index in that sequence: the history is the items before t ({@link RowHistories#historyOf}). One channel
 * carries a user's records from its reader to its keyed subtask in order, so the sequence always comes first.
 */
public class SequenceRow {
    public int user;
    public int positive;
    /** The items before the positive, oldest first; null for a compact-layout row (see {@link #t}). */
    public int[] history;
    public int epoch;
    public long rowId;
    /** 0-based index of this row in its reader's order of the epoch (not set for a user-sequence record). */
    public long position;
    /** A compact-layout row's index in its user's sequence; -1 for a row that carries its history. */
    public int t = -1;
    /** A user-sequence record's items (null for a training row). */
    public int[] sequence;
    /** For a compact-layout row: whether it is its user's last row of the epoch (its sequence is needed no more). */
    public boolean last;

    public SequenceRow() {}

    /** Whether this is a user-sequence record rather than a training row. */
    public boolean isUserSequence() {
        return sequence != null;
    }

    public SequenceRow(int user, int positive, int[] history, int epoch, long rowId, long position) {
        this.user = user;
        this.positive = positive;
        this.history = history;
        this.epoch = epoch;
        this.rowId = rowId;
        this.position = position;
    }
}
