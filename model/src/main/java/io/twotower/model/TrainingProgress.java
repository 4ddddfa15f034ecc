package io.twotower.model;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The epoch loop's bookkeeping, as the notebook's: per-epoch loss and Recall@K, ReduceLROnPlateau on the
 * recall, early stopping with the notebook's patience.
 */
public final class TrainingProgress {
    private static final int VERSION = 1;

    private final ReduceLROnPlateau plateau;
    private final EarlyStopping earlyStopping;
    private final List<Double> trainLosses;
    private final List<Double> valRecalls;

    private TrainingProgress(ReduceLROnPlateau plateau, EarlyStopping earlyStopping, List<Double> losses, List<Double> recalls) {
        this.plateau = plateau;
        this.earlyStopping = earlyStopping;
        this.trainLosses = losses;
        this.valRecalls = recalls;
    }

    public static TrainingProgress start(TwoTowerConfig config) {
        return new TrainingProgress(
                new ReduceLROnPlateau(config.plateauFactor(), config.plateauPatience()),
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
        double newLr = plateau.step(recall, learningRate);
        boolean best = earlyStopping.observe(epoch, recall);
        boolean stop = earlyStopping.shouldStop() || epoch >= maxEpochs;
        return new EpochDecision(epoch, best, stop, newLr);
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
        return new TrainingProgress(plateau, stopping, losses, recalls);
    }
}
