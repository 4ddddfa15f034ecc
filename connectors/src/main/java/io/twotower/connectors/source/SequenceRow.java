package io.twotower.connectors.source;

/**
 * One training row as it leaves the source: the notebook's (user, positive, history) plus the epoch it
 * belongs to and a row id that is stable across epochs and runs (for reproducible sampling).
 */
public class SequenceRow {
    public int user;
    public int positive;
    public int[] history;
    public int epoch;
    public long rowId;

    public SequenceRow() {}

    public SequenceRow(int user, int positive, int[] history, int epoch, long rowId) {
        this.user = user;
        this.positive = positive;
        this.history = history;
        this.epoch = epoch;
        this.rowId = rowId;
    }
}
