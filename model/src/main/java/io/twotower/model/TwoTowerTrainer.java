package io.twotower.model;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;

import java.util.Arrays;

/**
 * The notebook's training step: forward, cross-entropy over [positive, k negatives] with the positive at
 * index 0, loss / accum_steps, backward, and an AdamW step every accum_steps micro-batches of an epoch.
 * Gradients are not zeroed at an epoch's end (as in the notebook, where an odd last micro-batch carries
 * into the next epoch's first step).
 *
 * <p>The item tower runs once per batch over the batch's distinct items, not over batch x (1 + k)
 * rows: the same function of the same parameters, a fraction of the work.
 */
public final class TwoTowerTrainer implements AutoCloseable {
    private final TwoTowerConfig config;
    private final TwoTowerModel model;
    private final AdamW optimizer;
    private final long dropoutSeed;
    /** Index of the next micro-batch within the current epoch, from 1 as the notebook's enumerate. */
    private int microBatchInEpoch;
    /** Micro-batches trained since the start of training; seeds dropout so a resumed run is exact. */
    private long microBatches;
    /** Micro-batches whose gradients are accumulated but not yet applied. */
    private int pendingMicroBatches;
    /** Accumulated gradients restored from a checkpoint, added to the live ones at the next step. */
    private NDArray[] carriedGradients;
    /** Marks, per item id, the batch slot it got; reused so building a batch allocates nothing. */
    private int[] itemSlot;
    private int[] itemStamp;
    private int stamp;

    private TwoTowerTrainer(TwoTowerConfig config, TwoTowerModel model, AdamW optimizer) {
        this.config = config;
        this.model = model;
        this.optimizer = optimizer;
        this.dropoutSeed = SplitMix64.mix(config.seed(), 0xD809L);
        this.microBatchInEpoch = 1;
        ensureItemCapacity(model.numItems());
    }

    /** A trainer with fresh AdamW state over {@code model}; the trainer closes the model. */
    public static TwoTowerTrainer create(TwoTowerConfig config, TwoTowerModel model) {
        return new TwoTowerTrainer(config, model, AdamW.create(model.parameters(), config.lr(), config.weightDecay()));
    }

    /**
     * Trains one micro-batch and returns its un-divided mean loss. Steps the optimizer when this is the
     * accum_steps-th micro-batch of the epoch.
     */
    public float trainBatch(TrainingBatch batch) {
        if (batch.isEmpty()) {
            throw new IllegalArgumentException("empty batch");
        }
        NDManager root = model.manager();
        float loss;
        try (NDManager scope = root.newSubManager()) {
            JniUtils.setSeed(SplitMix64.mix(dropoutSeed, microBatches));
            NDArray lossArray;
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                // Grad mode is per thread and a restarted Flink task runs on a new one: set it explicitly.
                JniUtils.setGradMode(true);
                lossArray = batchLoss(scope, batch, true);
                collector.backward(lossArray.div(config.accumSteps()));
            }
            JniUtils.setGradMode(false);
            loss = lossArray.getFloat();
        }
        microBatches++;
        pendingMicroBatches++;
        if (microBatchInEpoch % config.accumSteps() == 0) {
            applyGradients();
        }
        microBatchInEpoch++;
        return loss;
    }

    /**
     * Grows the user and item embedding tables to the given vocabulary sizes (new rows initialised
     * N(0, 0.1) as the seed does; their AdamW moments start at zero). Gradients accumulated but not yet
     * applied are kept, padded with zero rows.
     */
    public void growVocabulary(int users, int items) {
        if (users <= model.numUsers() && items <= model.numItems()) {
            return;
        }
        NDList pending = pendingGradients();
        NDArray[] before = model.parameters();
        if (pendingMicroBatches > 0) {
            // Their values live on in `pending`; zero them so nothing is counted twice at the next step.
            for (NDArray p : before) {
                JniUtils.zeroGrad((PtNDArray) p);
            }
        }
        SplitMix64 rng = new SplitMix64(SplitMix64.mix(config.seed(), 0x6E0L, users, items));
        int userTable = 0;
        int itemTable = Tower.parameterNames("user").length;
        model.userTower().growRows(users, rng);
        model.itemTower().growRows(items, rng);
        optimizer.growRows(userTable, model.numUsers());
        optimizer.growRows(itemTable, model.numItems());
        clearCarried();
        if (pending != null) {
            carriedGradients = pending.toArray(new NDArray[0]);
            carriedGradients[userTable] = padRows(carriedGradients[userTable], model.numUsers());
            carriedGradients[itemTable] = padRows(carriedGradients[itemTable], model.numItems());
            for (NDArray g : carriedGradients) {
                g.attach(model.manager());
            }
        }
        pendingMicroBatches = 0;
        ensureItemCapacity(model.numItems());
    }

    private static NDArray padRows(NDArray array, long rows) {
        long have = array.getShape().get(0);
        if (have >= rows) {
            return array;
        }
        try (NDArray zeros = array.getManager().zeros(new Shape(rows - have, array.getShape().get(1)))) {
            NDArray padded = array.concat(zeros, 0);
            array.close();
            return padded;
        }
    }

    /** Marks the start of a new epoch: the notebook's micro-batch index restarts at 1. */
    public void startEpoch() {
        microBatchInEpoch = 1;
    }

    /** The mean cross-entropy of a batch over [positive, negatives]; builds the graph in {@code scope}. */
    NDArray batchLoss(NDManager scope, TrainingBatch batch, boolean training) {
        int b = batch.size();
        int k = batch.kNeg();
        // Distinct items of the batch, and each positive's and negative's slot among them.
        stamp++;
        long[] distinct = new long[b * (k + 1)];
        long[] posSlot = new long[b];
        long[] negSlot = new long[b * k];
        int n = 0;
        for (int i = 0; i < b; i++) {
            int item = batch.positive(i);
            if (itemStamp[item] != stamp) {
                itemStamp[item] = stamp;
                itemSlot[item] = n;
                distinct[n++] = item;
            }
            posSlot[i] = itemSlot[item];
        }
        int[] negatives = batch.negatives();
        for (int j = 0; j < b * k; j++) {
            int item = negatives[j];
            if (itemStamp[item] != stamp) {
                itemStamp[item] = stamp;
                itemSlot[item] = n;
                distinct[n++] = item;
            }
            negSlot[j] = itemSlot[item];
        }
        NDArray users = scope.create(Arrays.copyOf(batch.users(), b));
        NDArray items = scope.create(Arrays.copyOf(distinct, n));
        NDArray u = model.userVectors(users, training);
        NDArray v = model.itemVectors(items, training);
        NDArray pos = v.get(scope.create(posSlot));
        NDArray neg = v.get(scope.create(negSlot)).reshape(new Shape(b, k, model.dModel()));
        NDArray posScores = u.mul(pos).sum(new int[] {1}, true).muli(model.logitScale());
        NDArray negScores = u.expandDims(1).mul(neg).sum(new int[] {2}).muli(model.logitScale());
        NDArray logits = posScores.concat(negScores, 1);
        return logits.logSoftmax(1).get(":, 0").neg().mean();
    }

    private void applyGradients() {
        NDArray[] params = model.parameters();
        NDArray[] grads = new NDArray[params.length];
        try {
            for (int i = 0; i < params.length; i++) {
                grads[i] = params[i].getGradient();
                if (carriedGradients != null) {
                    grads[i].addi(carriedGradients[i]);
                }
            }
            optimizer.step(params, grads);
            for (NDArray p : params) {
                JniUtils.zeroGrad((PtNDArray) p);
            }
        } finally {
            for (NDArray g : grads) {
                if (g != null) {
                    g.close();
                }
            }
            clearCarried();
        }
        pendingMicroBatches = 0;
    }

    private void clearCarried() {
        if (carriedGradients != null) {
            for (NDArray g : carriedGradients) {
                g.close();
            }
            carriedGradients = null;
        }
    }

    private void ensureItemCapacity(int items) {
        if (itemStamp == null || itemStamp.length < items) {
            int capacity = Math.max(items, itemStamp == null ? 0 : itemStamp.length * 2);
            itemStamp = new int[capacity];
            itemSlot = new int[capacity];
            stamp = 0;
        }
    }

    /**
     * The gradients accumulated but not yet applied (null when none), as copies; a checkpoint needs
     * them to resume mid-accumulation exactly.
     */
    public NDList pendingGradients() {
        if (pendingMicroBatches == 0 && carriedGradients == null) {
            return null;
        }
        NDArray[] params = model.parameters();
        NDList out = new NDList(params.length);
        for (int i = 0; i < params.length; i++) {
            NDArray g;
            if (pendingMicroBatches > 0) {
                try (NDArray live = params[i].getGradient()) {
                    g = live.duplicate();
                }
                if (carriedGradients != null) {
                    g.addi(carriedGradients[i]);
                }
            } else {
                g = carriedGradients[i].duplicate();
            }
            out.add(g);
        }
        return out;
    }

    /** Restores counters and accumulated gradients saved with {@link #counters()} and {@link #pendingGradients()}. */
    public void restore(long[] counters, NDList pendingGradients) {
        microBatchInEpoch = (int) counters[0];
        microBatches = counters[1];
        pendingMicroBatches = (int) counters[2];
        clearCarried();
        if (pendingGradients != null) {
            carriedGradients = pendingGradients.toArray(new NDArray[0]);
            for (NDArray g : carriedGradients) {
                g.attach(model.manager());
            }
        }
    }

    /** Restores the optimizer: see {@link #create} for a fresh one. */
    public static TwoTowerTrainer restored(TwoTowerConfig config, TwoTowerModel model, NDList moments, long step, double lr) {
        return new TwoTowerTrainer(
                config, model, AdamW.restore(model.manager(), moments, step, lr, config.weightDecay()));
    }

    /** The step counters a checkpoint needs: micro-batch in epoch, micro-batches, pending micro-batches. */
    public long[] counters() {
        return new long[] {microBatchInEpoch, microBatches, pendingMicroBatches};
    }

    public TwoTowerModel model() {
        return model;
    }

    public AdamW optimizer() {
        return optimizer;
    }

    public TwoTowerConfig config() {
        return config;
    }

    /** Optimizer steps taken so far. */
    public long steps() {
        return optimizer.stepCount();
    }

    public long microBatches() {
        return microBatches;
    }

    @Override
    public void close() {
        clearCarried();
        model.close();
    }
}
