package io.twotower.job.train;

/**
 * One example for the trainer: user, positive, its k sampled negatives, the user's most recent items
 * before it (oldest first; empty unless the history tower reads them), the epoch it belongs to and its
 * position in the source's order of that epoch.
 */
public class TrainingExample {
    private static final int[] NONE = new int[0];

    public int user;
    public int positive;
    public int[] negatives;
    public int[] history = NONE;
    public int epoch;
    public long position;

    public TrainingExample() {}

    public TrainingExample(int user, int positive, int[] negatives, int[] history, int epoch, long position) {
        this.user = user;
        this.positive = positive;
        this.negatives = negatives;
        this.history = history;
        this.epoch = epoch;
        this.position = position;
    }
}
