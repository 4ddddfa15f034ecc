package io.twotower.model;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.core.Embedding;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;

import io.twotower.common.SplitMix64;
import java.util.Arrays;

/**
 * The notebook's training step: forward, cross-entropy over [positive, k negatives] with the positive at
 * index 0, loss / accum_steps, backward, and an AdamW step every accum_steps micro-batches of an epoch.
 * Gradients are not zeroed at an epoch's end (as in the notebook, where an odd last micro-batch carries
 * into the next epoch's first step).
 *
 * <p>The item tower runs once per batch over the batch's distinct items, not over batch x (1 + k)
 * rows: the same function of the same parameters, a fraction of the work.
 *
 * <p>Beyond the notebook ({@code negatives: in_batch | mixed}) the softmax runs over candidates shared by
 * the whole batch, with the logQ correction from a {@link StreamingFrequencyEstimator} the trainer
 * updates per micro-batch; see {@link #batchLoss}.
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
    /** Item frequencies for the logQ correction (null with uniform negatives, where it is a constant). */
    private StreamingFrequencyEstimator frequencies;
    private int[] positiveScratch;
    /** Test hook: runs between the forward pass and backward (the regression test forces GC there). */
    Runnable beforeBackward = () -> {};

    private TwoTowerTrainer(TwoTowerConfig config, TwoTowerModel model, AdamW optimizer) {
        this.config = config;
        this.model = model;
        this.optimizer = optimizer;
        this.dropoutSeed = SplitMix64.mix(config.seed(), 0xD809L);
        this.microBatchInEpoch = 1;
        ensureItemCapacity(model.numItems());
        if (!config.negatives().equals("uniform")) {
            frequencies = new StreamingFrequencyEstimator(config.frequencyBuckets(), config.frequencyHashes(),
                    config.frequencyAlpha(), SplitMix64.mix(config.seed(), 0xF4EL));
        }
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
                NDArray scaled = lossArray.div(GraphScalars.of(scope, config.accumSteps()));
                beforeBackward.run();
                collector.backward(scaled);
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
            for (int i = 0; i < before.length; i++) {
                if (model.usesParameter(i)) {
                    JniUtils.zeroGrad((PtNDArray) before[i]);
                }
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

    /**
     * The batch's mean cross-entropy; builds the graph in {@code scope}. With {@code negatives: uniform}
     * (the notebook) each row's softmax runs over [positive, its k negatives]; with {@code in_batch} over
     * the batch's distinct positives, and with {@code mixed} over those plus every row's uniform negatives,
     * shared. The shared candidate set holds each item once, so another row's copy of a row's own positive
     * (an accidental hit) never appears as a negative. With logQ correction each shared candidate's logit
     * is lowered by the log of its probability of being among the candidates (Yi et al. 2019), estimated
     * by the streaming frequency estimator, so popular items are not pushed down merely for being sampled
     * as negatives more often.
     */
    NDArray batchLoss(NDManager scope, TrainingBatch batch, boolean training) {
        int b = batch.size();
        boolean shared = !config.negatives().equals("uniform");
        boolean withUniform = !config.negatives().equals("in_batch");
        int k = withUniform ? batch.kNeg() : 0;
        if (shared && training) {
            frequencies.update(positivesAsInts(batch), b);
        }
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
        NDArray logitScale = GraphScalars.of(scope, model.logitScale());
        NDArray u = model.userVectors(scope, batch.users(), b, batch.historyItems(), batch.historyCounts(), training);
        NDArray v = model.itemVectors(scope.create(Arrays.copyOf(distinct, n)), training);
        if (shared) {
            NDArray logits = u.matMul(v.transpose()).muli(logitScale);
            if (config.logQCorrection()) {
                logits = logits.sub(scope.create(logInclusion(distinct, n, b, k), new Shape(1, n)));
            }
            return logits.logSoftmax(1).gather(scope.create(posSlot).expandDims(1), 1).neg().mean();
        }
        // Rows of v by slot: torch.embedding's backward (a dense scatter-add) is much cheaper on CPU than
        // the index_put_ behind NDArray.get(NDArray).
        NDArray pos = Embedding.embedding(scope.create(posSlot), v, SparseFormat.DENSE).singletonOrThrow();
        NDArray neg = Embedding.embedding(scope.create(negSlot), v, SparseFormat.DENSE).singletonOrThrow()
                .reshape(new Shape(b, k, model.dModel()));
        NDArray posScores = u.mul(pos).sum(new int[] {1}, true).muli(logitScale);
        NDArray negScores = u.expandDims(1).mul(neg).sum(new int[] {2}).muli(logitScale);
        NDArray logits = posScores.concat(negScores, 1);
        return logits.logSoftmax(1).get(":, 0").neg().mean();
    }

    /**
     * log P(item is among a step's shared candidates): positives arrive at the estimated rate, uniform
     * negatives add b * k / N expected draws of every item.
     */
    private float[] logInclusion(long[] distinct, int n, int b, int k) {
        double uniformPerStep = k == 0 ? 0 : (double) b * k / model.numItems();
        float[] out = new float[n];
        for (int j = 0; j < n; j++) {
            out[j] = (float) frequencies.inclusionLogProbability((int) distinct[j], uniformPerStep);
        }
        return out;
    }

    private int[] positivesAsInts(TrainingBatch batch) {
        if (positiveScratch == null || positiveScratch.length < batch.size()) {
            positiveScratch = new int[batch.capacity()];
        }
        long[] positives = batch.positives();
        for (int i = 0; i < batch.size(); i++) {
            positiveScratch[i] = (int) positives[i];
        }
        return positiveScratch;
    }

    private void applyGradients() {
        NDArray[] params = model.parameters();
        NDArray[] grads = new NDArray[params.length];
        try {
            for (int i = 0; i < params.length; i++) {
                if (!model.usesParameter(i)) {
                    continue;
                }
                grads[i] = params[i].getGradient();
                if (carriedGradients != null) {
                    grads[i].addi(carriedGradients[i]);
                }
            }
            optimizer.step(params, grads);
            for (int i = 0; i < params.length; i++) {
                if (model.usesParameter(i)) {
                    JniUtils.zeroGrad((PtNDArray) params[i]);
                }
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
            if (!model.usesParameter(i)) {
                g = params[i].zerosLike();
            } else if (pendingMicroBatches > 0) {
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
            for (int i = 0; i < carriedGradients.length; i++) {
                carriedGradients[i].attach(model.manager());
                carriedGradients[i] = NativeArrays.own(carriedGradients[i]);
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

    /** The logQ frequency estimator (null with uniform negatives). */
    public StreamingFrequencyEstimator frequencies() {
        return frequencies;
    }

    /** Replaces the frequency estimator with one restored from a checkpoint. */
    public void restoreFrequencies(StreamingFrequencyEstimator restored) {
        this.frequencies = restored;
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
