package io.twotower.job.online;

/** One closed evaluation window (prequential: every event scored before the model trained on it). */
public class WindowReport {
    public long windowStart;
    public long windowEnd;
    public long events;
    /**
     * Events ranked before training ({@code --rank-share}); recall and recallExcludeHistory are over these. -1 when
     * read from a windows.jsonl of an earlier version, which ranked every event.
     */
    public long ranked = -1;

    /** The events the recalls are over. */
    public long rankedEvents() {
        return ranked < 0 ? events : ranked;
    }
    public long hits;
    public double recall;
    /** The same prequential ranking with the user's earlier items filtered out (seen-item filtering). */
    public long hitsExcludeHistory;
    public double recallExcludeHistory;
    public long trained;
    public long newUsers;
    public long newItems;
    public double loss;
    public double learningRate;
    public boolean regression;
    public long snapshotSequence;
    /** Wall-clock ms from the first and last event's arrival at the trainer to the snapshot publication. */
    public long snapshotLatencyMaxMs;
    public long snapshotLatencyMinMs;

    public WindowReport() {}
}
