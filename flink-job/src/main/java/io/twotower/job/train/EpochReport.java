package io.twotower.job.train;

/** What the trainer emits after each evaluation (and once more, final, at the end). */
public class EpochReport {
    public int epoch;
    public double loss;
    public double recall;
    public double learningRate;
    public long examples;
    public double examplesPerSecond;
    public long steps;
    public boolean newBest;
    public boolean stop;
    /** True only for the last report, after the best model was evaluated and the results written. */
    public boolean last;
    public double finalRecall;

    public EpochReport() {}
}
