package io.twotower.job.train;

/** One example for the trainer: user, positive, its k sampled negatives, and the epoch it belongs to. */
public class TrainingExample {
    public int user;
    public int positive;
    public int[] negatives;
    public int epoch;

    public TrainingExample() {}

    public TrainingExample(int user, int positive, int[] negatives, int epoch) {
        this.user = user;
        this.positive = positive;
        this.negatives = negatives;
        this.epoch = epoch;
    }
}
