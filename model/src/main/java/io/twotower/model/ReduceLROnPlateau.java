package io.twotower.model;

/**
 * {@code torch.optim.lr_scheduler.ReduceLROnPlateau} in mode 'max' with the default relative threshold
 * (1e-4), no cooldown and min_lr 0: the learning rate is multiplied by {@code factor} once the metric has
 * not improved for more than {@code patience} evaluations.
 */
public final class ReduceLROnPlateau {
    private static final double THRESHOLD = 1e-4;
    private static final double EPS = 1e-8;

    private final double factor;
    private final int patience;
    private double best;
    private int badEpochs;

    public ReduceLROnPlateau(double factor, int patience) {
        this(factor, patience, Double.NEGATIVE_INFINITY, 0);
    }

    public ReduceLROnPlateau(double factor, int patience, double best, int badEpochs) {
        this.factor = factor;
        this.patience = patience;
        this.best = best;
        this.badEpochs = badEpochs;
    }

    /** Observes one evaluation and returns the learning rate to use from now on. */
    public double step(double metric, double currentLearningRate) {
        if (metric > best * (1 + THRESHOLD)) {
            best = metric;
            badEpochs = 0;
        } else {
            badEpochs++;
        }
        if (badEpochs > patience) {
            badEpochs = 0;
            double reduced = currentLearningRate * factor;
            if (currentLearningRate - reduced > EPS) {
                return reduced;
            }
        }
        return currentLearningRate;
    }

    public double best() {
        return best;
    }

    public int badEpochs() {
        return badEpochs;
    }
}
