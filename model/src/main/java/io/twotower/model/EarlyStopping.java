package io.twotower.model;

/**
 * The notebook's early stopping: the best Recall@K so far (starting at 0) and the number of evaluations
 * since it last strictly improved; training stops when that count reaches {@code patience}.
 */
public final class EarlyStopping {
    private final int patience;
    private double best;
    private int bestEpoch;
    private int sinceImprovement;

    public EarlyStopping(int patience) {
        this(patience, 0.0, 0, 0);
    }

    public EarlyStopping(int patience, double best, int bestEpoch, int sinceImprovement) {
        this.patience = patience;
        this.best = best;
        this.bestEpoch = bestEpoch;
        this.sinceImprovement = sinceImprovement;
    }

    /** Observes epoch {@code epoch}'s metric; returns true when it is a new best. */
    public boolean observe(int epoch, double metric) {
        if (metric > best) {
            best = metric;
            bestEpoch = epoch;
            sinceImprovement = 0;
            return true;
        }
        sinceImprovement++;
        return false;
    }

    public boolean shouldStop() {
        return sinceImprovement >= patience;
    }

    public double best() {
        return best;
    }

    public int bestEpoch() {
        return bestEpoch;
    }

    public int sinceImprovement() {
        return sinceImprovement;
    }
}
