package io.twotower.connectors.source;

/**
 * One training row as it leaves the source: the notebook's (user, positive, history) plus the epoch it
 * belongs to, a row id that is stable across epochs and runs (for reproducible sampling) and its position
 * in the epoch's shuffled order (so the trainer can restore that order after keyed operators).
 */
public class SequenceRow {
    public int user;
    public int positive;
    public int[] history;
    public int epoch;
    public long rowId;
    /** 0-based index of this row in its reader's order of the epoch. */
    public long position;

    public SequenceRow() {}

    public SequenceRow(int user, int positive, int[] history, int epoch, long rowId, long position) {
        this.user = user;
        this.positive = positive;
        this.history = history;
        this.epoch = epoch;
        this.rowId = rowId;
        this.position = position;
    }
}
