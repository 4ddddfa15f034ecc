package io.twotower.job.train;

/**
 * One example for the trainer: user, positive, its k sampled negatives, the user's most recent items
 * before it (oldest first; empty unless the history tower reads them) and the epoch it belongs to.
 */
public class TrainingExample {
    private static final int[] NONE = new int[0];

    public int user;
    public int positive;
    public int[] negatives;
    public int[] history = NONE;
    public int epoch;

    public TrainingExample() {}

    public TrainingExample(int user, int positive, int[] negatives, int[] history, int epoch) {
        this.user = user;
        this.positive = positive;
        this.negatives = negatives;
        this.history = history;
        this.epoch = epoch;
    }
}
