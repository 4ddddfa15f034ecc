package io.twotower.model;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The epoch loop's bookkeeping, as the notebook's: per-epoch loss and Recall@K, ReduceLROnPlateau on the
 * recall (unless {@code lr_schedule: constant}), early stopping with the notebook's patience.
 *
 * <p>With {@code eval_every} above 1 only some epochs end with a validation ({@link #endEpochUnevaluated}): their
 * recall is recorded as NaN and neither the schedule nor early stopping sees them, so both count validations.
 * Validating less often is what SASRec's reference code does, and it also makes the selected epoch the best of
 * fewer noisy estimates (a small validation set's Recall@10 has a standard error of about 0.01).
 */
public final class TrainingProgress {
    private static final int VERSION = 1;

    private final ReduceLROnPlateau plateau;
    private final boolean plateauSchedule;
    private final EarlyStopping earlyStopping;
    private final List<Double> trainLosses;
    private final List<Double> valRecalls;

    private TrainingProgress(ReduceLROnPlateau plateau, boolean plateauSchedule, EarlyStopping earlyStopping,
            List<Double> losses, List<Double> recalls) {
        this.plateau = plateau;
        this.plateauSchedule = plateauSchedule;
        this.earlyStopping = earlyStopping;
        this.trainLosses = losses;
        this.valRecalls = recalls;
    }

    public static TrainingProgress start(TwoTowerConfig config) {
        return new TrainingProgress(
                new ReduceLROnPlateau(config.plateauFactor(), config.plateauPatience()), config.plateauSchedule(),
                new EarlyStopping(config.patience()), new ArrayList<>(), new ArrayList<>());
    }

    /** What one epoch's evaluation decided. */
    public static final class EpochDecision {
        public final int epoch;
        public final boolean newBest;
        public final boolean stop;
        public final double learningRate;

        EpochDecision(int epoch, boolean newBest, boolean stop, double learningRate) {
            this.epoch = epoch;
            this.newBest = newBest;
            this.stop = stop;
            this.learningRate = learningRate;
        }
    }

    /** Records epoch {@code epochs()+1}: steps the scheduler, then early stopping, as the notebook's loop. */
    public EpochDecision endEpoch(double averageLoss, double recall, double learningRate, int maxEpochs) {
        trainLosses.add(averageLoss);
        valRecalls.add(recall);
        int epoch = valRecalls.size();
        double newLr = plateauSchedule ? plateau.step(recall, learningRate) : learningRate;
        boolean best = earlyStopping.observe(epoch, recall);
        boolean stop = earlyStopping.shouldStop() || epoch >= maxEpochs;
        return new EpochDecision(epoch, best, stop, newLr);
    }

    /**
     * Records epoch {@code epochs()+1} without a validation (eval_every): its recall is NaN, the learning rate and
     * the early-stopping counters stay; it stops only at {@code maxEpochs}.
     */
    public EpochDecision endEpochUnevaluated(double averageLoss, double learningRate, int maxEpochs) {
        trainLosses.add(averageLoss);
        valRecalls.add(Double.NaN);
        int epoch = valRecalls.size();
        return new EpochDecision(epoch, false, epoch >= maxEpochs, learningRate);
    }

    public int epochsDone() {
        return valRecalls.size();
    }

    public boolean stoppedEarly(int maxEpochs) {
        return earlyStopping.shouldStop() && epochsDone() < maxEpochs;
    }

    public List<Double> trainLosses() {
        return Collections.unmodifiableList(trainLosses);
    }

    public List<Double> valRecalls() {
        return Collections.unmodifiableList(valRecalls);
    }

    public double bestRecall() {
        return earlyStopping.best();
    }

    public int bestEpoch() {
        return earlyStopping.bestEpoch();
    }

    public void write(DataOutputStream out) throws IOException {
        out.writeInt(VERSION);
        out.writeDouble(plateau.best());
        out.writeInt(plateau.badEpochs());
        out.writeDouble(earlyStopping.best());
        out.writeInt(earlyStopping.bestEpoch());
        out.writeInt(earlyStopping.sinceImprovement());
        out.writeInt(trainLosses.size());
        for (int i = 0; i < trainLosses.size(); i++) {
            out.writeDouble(trainLosses.get(i));
            out.writeDouble(valRecalls.get(i));
        }
    }

    public static TrainingProgress read(DataInputStream in, TwoTowerConfig config) throws IOException {
        int version = in.readInt();
        if (version != VERSION) {
            throw new IOException("unsupported training progress version " + version + " (this build reads " + VERSION + ")");
        }
        ReduceLROnPlateau plateau = new ReduceLROnPlateau(
                config.plateauFactor(), config.plateauPatience(), in.readDouble(), in.readInt());
        EarlyStopping stopping = new EarlyStopping(config.patience(), in.readDouble(), in.readInt(), in.readInt());
        int n = in.readInt();
        List<Double> losses = new ArrayList<>(n);
        List<Double> recalls = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            losses.add(in.readDouble());
            recalls.add(in.readDouble());
        }
        return new TrainingProgress(plateau, config.plateauSchedule(), stopping, losses, recalls);
    }
}
