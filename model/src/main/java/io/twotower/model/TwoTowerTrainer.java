package io.twotower.model;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
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
 *
 * <p>With a sparse {@code embedding_optimizer} each micro-batch gathers the embedding rows it reads into
 * small leaves, backward writes the gradient into those ({@link SparseRowGradients}), and the step updates
 * only the touched rows with a {@link SparseEmbeddingOptimizer}; AdamW updates the towers' dense layers as
 * before. No table-sized gradient or AdamW moment of a table exists then.
 */
public final class TwoTowerTrainer implements AutoCloseable {
    /** Indices of the user and the item embedding table in {@link TwoTowerModel#parameters()}. */
    private static final int USER_TABLE = 0;
    private static final int ITEM_TABLE = Tower.parameterNames("user").length;

    private final TwoTowerConfig config;
    private final TwoTowerModel model;
    /** AdamW over every parameter (dense), or over the towers' layers only (sparse embedding updates). */
    private final AdamW optimizer;
    /** Indices into {@link TwoTowerModel#parameters()} that AdamW updates, in its order. */
    private final int[] denseIndices;
    /** The tables' row-wise optimizer and gradients (null with {@code embedding_optimizer: dense}). */
    private final SparseEmbeddingOptimizer embeddingOptimizer;
    private final SparseRowGradients[] rowGradients;
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
    /** Embedding rows changed since they were last saved (null unless {@link #trackChangedRows()} turned it on). */
    private ChangedRows changedRows;
    /** Restored without its tables: their rows come from {@link #loadRows} ({@link #restoredAwaitingRows}). */
    private boolean awaitingRows;
    /** Test hook: runs between the forward pass and backward (the regression test forces GC there). */
    Runnable beforeBackward = () -> {};

    private TwoTowerTrainer(TwoTowerConfig config, TwoTowerModel model, AdamW optimizer,
            SparseEmbeddingOptimizer embeddingOptimizer) {
        this.config = config;
        this.model = model;
        this.optimizer = optimizer;
        this.denseIndices = denseIndices(config);
        this.embeddingOptimizer = embeddingOptimizer;
        if (embeddingOptimizer != null) {
            rowGradients = new SparseRowGradients[] {
                new SparseRowGradients(model.numUsers(), model.dModel()),
                new SparseRowGradients(model.numItems(), model.dModel())
            };
        } else {
            rowGradients = null;
        }
        this.dropoutSeed = SplitMix64.mix(config.seed(), 0xD809L);
        this.microBatchInEpoch = 1;
        ensureItemCapacity(model.numItems());
        if (!config.negatives().equals("uniform")) {
            frequencies = new StreamingFrequencyEstimator(config.frequencyBuckets(), config.frequencyHashes(),
                    config.frequencyAlpha(), SplitMix64.mix(config.seed(), 0xF4EL));
        }
    }

    /** A trainer with fresh optimizer state over {@code model}; the trainer closes the model. */
    public static TwoTowerTrainer create(TwoTowerConfig config, TwoTowerModel model) {
        AdamW adamW = AdamW.create(select(model.parameters(), denseIndices(config)), config.lr(), config.weightDecay(),
                config.adamBeta2());
        SparseEmbeddingOptimizer sparse = config.sparseEmbeddings()
                ? SparseEmbeddingOptimizer.create(config, model.manager(),
                        new long[] {model.numUsers(), model.numItems()}, model.dModel())
                : null;
        return new TwoTowerTrainer(config, model, adamW, sparse);
    }

    /** Every parameter (dense), or all but the two embedding tables (sparse embedding updates). */
    private static int[] denseIndices(TwoTowerConfig config) {
        int n = TwoTowerModel.parameterNames(config).length;
        return java.util.stream.IntStream.range(0, n)
                .filter(i -> !config.sparseEmbeddings() || i != USER_TABLE && i != ITEM_TABLE).toArray();
    }

    private static NDArray[] select(NDArray[] all, int[] indices) {
        NDArray[] out = new NDArray[indices.length];
        for (int k = 0; k < indices.length; k++) {
            out[k] = all[indices[k]];
        }
        return out;
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
            if (carriedGradients != null) {
                foldCarriedGradients();
            }
            if (rowGradients != null) {
                for (SparseRowGradients g : rowGradients) {
                    g.collect(root);
                }
            }
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
     * N(0, 0.1) as the seed does; their optimizer state starts as a fresh optimizer's: zero AdamW moments,
     * or the initial Adagrad accumulator). Gradients accumulated but not yet applied are kept (dense: padded
     * with zero rows; sparse: the touched rows as they are).
     */
    public void growVocabulary(int users, int items) {
        if (users <= model.numUsers() && items <= model.numItems()) {
            return;
        }
        // Dense: the tables' gradients die with the old tables, so every pending gradient moves to carried
        // ones. Sparse: the tables have none; the pending rows and the layers' gradients stay where they are.
        NDList pending = embeddingOptimizer == null ? pendingGradients() : null;
        if (pending != null && pendingMicroBatches > 0) {
            // Their values live on in `pending`; zero them so nothing is counted twice at the next step.
            NDArray[] before = model.parameters();
            for (int i = 0; i < before.length; i++) {
                if (model.usesParameter(i)) {
                    JniUtils.zeroGrad((PtNDArray) before[i]);
                }
            }
        }
        SplitMix64 rng = new SplitMix64(SplitMix64.mix(config.seed(), 0x6E0L, users, items));
        int usersBefore = model.numUsers();
        int itemsBefore = model.numItems();
        model.userTower().growRows(users, rng);
        model.itemTower().growRows(items, rng);
        ensureItemCapacity(model.numItems());
        if (changedRows != null) {
            changedRows.markRange(0, usersBefore, model.numUsers());
            changedRows.markRange(1, itemsBefore, model.numItems());
        }
        if (embeddingOptimizer != null) {
            embeddingOptimizer.growRows(0, model.numUsers());
            embeddingOptimizer.growRows(1, model.numItems());
            rowGradients[0].ensureCapacity(model.numUsers());
            rowGradients[1].ensureCapacity(model.numItems());
            return;
        }
        optimizer.growRows(USER_TABLE, model.numUsers());
        optimizer.growRows(ITEM_TABLE, model.numItems());
        clearCarried();
        if (pending != null) {
            carriedGradients = pending.toArray(new NDArray[0]);
            carriedGradients[USER_TABLE] = padRows(carriedGradients[USER_TABLE], model.numUsers());
            carriedGradients[ITEM_TABLE] = padRows(carriedGradients[ITEM_TABLE], model.numItems());
            for (NDArray g : carriedGradients) {
                g.attach(model.manager());
            }
        }
        pendingMicroBatches = 0;
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
        if (batch.windows()) {
            return windowLoss(scope, batch, training);
        }
        int b = batch.size();
        if (config.negatives().equals("full")) {
            if (training && rowGradients != null) {
                throw new IllegalStateException("negatives: full needs dense embeddings");
            }
            NDArray u = model.userVectors(scope, batch.users(), b, batch.historyItems(), batch.historyCounts(), training);
            return fullSoftmaxLoss(scope, u, Arrays.copyOf(batch.positives(), b), training);
        }
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
        EmbeddingRows userRows = EmbeddingRows.of(model.userTower().table());
        EmbeddingRows itemRows = EmbeddingRows.of(model.itemTower().table());
        if (training && rowGradients != null) {
            itemRows = gatherItemRows(scope, batch, distinct, n);
            if (model.usesParameter(USER_TABLE)) {
                userRows = gatherUserRows(scope, batch);
            }
        }
        NDArray u = model.userVectors(scope, batch.users(), b, batch.historyItems(), batch.historyCounts(), training,
                userRows, itemRows);
        NDArray v = model.itemVectors(scope, distinct, n, itemRows, training);
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
     * Every-position training of the sequence tower: one causal pass over each row's window, the cross-entropy of
     * every slot's prediction of the item after it (the next history item; the positive at the last slot), averaged
     * over all of the batch's predictions. Candidates: the whole catalog ({@code negatives: full}), or shared as
     * in {@link #batchLoss}: the batch's distinct targets ({@code in_batch}) plus every row's uniform negatives
     * ({@code mixed}), with the logQ correction.
     */
    private NDArray windowLoss(NDManager scope, TrainingBatch batch, boolean training) {
        int b = batch.size();
        int length = model.historyLength();
        int[] items = batch.historyItems();
        int[] counts = batch.historyCounts();
        int predictions = 0;
        for (int i = 0; i < b; i++) {
            predictions += Math.min(counts[i], length);
        }
        if (predictions == 0) {
            throw new IllegalArgumentException("a batch of sequence windows without any history item: every-position "
                    + "training needs rows with a history");
        }
        long[] slotOf = new long[predictions];
        long[] targets = new long[predictions];
        int p = 0;
        for (int i = 0; i < b; i++) {
            int count = Math.min(counts[i], length);
            int pad = length - count;
            for (int j = 0; j < count; j++) {
                slotOf[p] = (long) i * length + pad + j;
                targets[p++] = j + 1 < count ? items[i * length + j + 1] : batch.positive(i);
            }
        }
        boolean full = config.negatives().equals("full");
        int k = config.negatives().equals("mixed") ? batch.kNeg() : 0;
        stamp++;
        long[] distinct = full ? null : new long[predictions + b * k];
        long[] targetSlot = full ? targets : new long[predictions];
        int n = 0;
        if (!full) {
            for (int j = 0; j < predictions; j++) {
                n = slot((int) targets[j], distinct, n);
                targetSlot[j] = itemSlot[(int) targets[j]];
            }
            int[] negatives = batch.negatives();
            for (int j = 0; j < b * k; j++) {
                n = slot(negatives[j], distinct, n);
            }
            if (training) {
                int[] asInts = new int[predictions];
                for (int j = 0; j < predictions; j++) {
                    asInts[j] = (int) targets[j];
                }
                frequencies.update(asInts, predictions);
            }
        }
        EmbeddingRows itemRows = EmbeddingRows.of(model.itemTower().table());
        if (training && rowGradients != null) {
            itemRows = gatherItemRows(scope, batch, distinct, n);
        }
        NDArray outputs = model.sequenceOutputs(scope, b, items, counts, training, itemRows)
                .reshape(new Shape((long) b * length, model.dModel()));
        // Rows by slot through torch.embedding, whose backward is cheap (see batchLoss).
        NDArray u = model.sequenceUserVectors(
                Embedding.embedding(scope.create(slotOf), outputs, SparseFormat.DENSE).singletonOrThrow());
        if (full) {
            return fullSoftmaxLoss(scope, u, targets, training);
        }
        NDArray v = model.itemVectors(scope, distinct, n, itemRows, training);
        NDArray logits = scaled(scope, u.matMul(v.transpose()));
        if (config.logQCorrection()) {
            logits = logits.sub(scope.create(logInclusion(distinct, n, predictions, k), new Shape(1, n)));
        }
        return logits.logSoftmax(1).gather(scope.create(targetSlot).expandDims(1), 1).neg().mean();
    }

    /** Gives {@code item} the next slot among the step's distinct candidates unless it has one; returns the count. */
    private int slot(int item, long[] distinct, int n) {
        if (itemStamp[item] != stamp) {
            itemStamp[item] = stamp;
            itemSlot[item] = n;
            distinct[n++] = item;
        }
        return n;
    }

    /** The mean cross-entropy of user vectors {@code u} against {@code targets} over every item of the catalog. */
    private NDArray fullSoftmaxLoss(NDManager scope, NDArray u, long[] targets, boolean training) {
        NDArray v = model.itemTowerMlp() ? model.itemVectors(scope.arange(0L, (long) model.numItems(), 1L,
                ai.djl.ndarray.types.DataType.INT64), training) : model.itemTower().table();
        NDArray logits = scaled(scope, u.matMul(v.transpose()));
        return logits.logSoftmax(1).gather(scope.create(targets).expandDims(1), 1).neg().mean();
    }

    /**
     * Logits times the model's logit scale; as they are when it is 1 (dot-product scores), which saves a pass over
     * a predictions x catalog matrix and its backward in every full-softmax step.
     */
    private NDArray scaled(NDManager scope, NDArray logits) {
        float scale = model.logitScale();
        return scale == 1f ? logits : logits.muli(GraphScalars.of(scope, scale));
    }

    /** Touches the batch's candidates and (history tower) history items, and gathers them into a leaf. */
    private EmbeddingRows gatherItemRows(NDManager scope, TrainingBatch batch, long[] distinct, int n) {
        SparseRowGradients rows = rowGradients[1];
        for (int j = 0; j < n; j++) {
            rows.touch(distinct[j]);
        }
        int length = model.historyLength();
        int[] items = batch.historyItems();
        int[] counts = batch.historyCounts();
        for (int i = 0; i < batch.size() && length > 0; i++) {
            for (int j = 0, used = Math.min(counts[i], length); j < used; j++) {
                rows.touch(items[i * length + j]);
            }
        }
        return rows.gather(scope, model.itemTower().table());
    }

    private EmbeddingRows gatherUserRows(NDManager scope, TrainingBatch batch) {
        SparseRowGradients rows = rowGradients[0];
        long[] users = batch.users();
        for (int i = 0; i < batch.size(); i++) {
            rows.touch(users[i]);
        }
        return rows.gather(scope, model.userTower().table());
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
        NDArray[] all = model.parameters();
        NDArray[] params = select(all, denseIndices);
        NDArray[] grads = new NDArray[params.length];
        try {
            for (int k = 0; k < params.length; k++) {
                int i = denseIndices[k];
                if (!model.usesParameter(i)) {
                    continue;
                }
                grads[k] = params[k].getGradient();
            }
            optimizer.step(params, grads);
            for (int k = 0; k < params.length; k++) {
                if (model.usesParameter(denseIndices[k])) {
                    JniUtils.zeroGrad((PtNDArray) params[k]);
                }
            }
            if (embeddingOptimizer != null) {
                applyRowGradients(all);
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

    /** The tables' step, after AdamW's: its step count is the global one SparseAdam's bias correction uses. */
    private void applyRowGradients(NDArray[] all) {
        int[] tables = {USER_TABLE, ITEM_TABLE};
        for (int t = 0; t < tables.length; t++) {
            SparseRowGradients rows = rowGradients[t];
            if (rows.isEmpty()) {
                continue;
            }
            try (NDManager scope = model.manager().newSubManager()) {
                embeddingOptimizer.step(t, all[tables[t]], rows.rowIndex(scope), rows.values(), embeddingLearningRate(),
                        config.weightDecay(), optimizer.stepCount());
            }
            if (changedRows != null) {
                changedRows.mark(t, rows.ids(), rows.size());
            }
            rows.clear();
        }
    }

    /**
     * The sparse optimizers' learning rate now: {@code embedding_lr} (or {@code lr} when 0) scaled as the
     * schedule has scaled {@code lr}.
     */
    public double embeddingLearningRate() {
        if (config.embeddingLr() == 0) {
            return optimizer.learningRate();
        }
        return config.embeddingLr() * (optimizer.learningRate() / config.lr());
    }

    /**
     * Adds the gradients carried over a restore or a vocabulary growth to the live ones, right after the
     * first backward since: the sum is then formed in an uninterrupted run's order, (carried + g1) + g2, and
     * not (g1 + g2) + carried, which rounds differently once an accumulation spans three micro-batches (an
     * odd last micro-batch carried into the next epoch, or accum_steps above 2).
     */
    private void foldCarriedGradients() {
        NDArray[] params = model.parameters();
        for (int i = 0; i < params.length; i++) {
            if (carriedGradients[i] != null && model.usesParameter(i)) {
                try (NDArray live = params[i].getGradient()) {
                    live.addi(carriedGradients[i]);
                }
            }
        }
        clearCarried();
    }

    private void clearCarried() {
        if (carriedGradients != null) {
            for (NDArray g : carriedGradients) {
                if (g != null) {
                    g.close();
                }
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
     * The gradients accumulated but not yet applied (null when none), as copies, of the parameters AdamW
     * updates (all of them, or with sparse embedding updates all but the tables: see
     * {@link #pendingRowGradients()}); a checkpoint needs them to resume mid-accumulation exactly.
     */
    public NDList pendingGradients() {
        if (pendingMicroBatches == 0 && carriedGradients == null) {
            return null;
        }
        NDArray[] params = model.parameters();
        NDList out = new NDList(denseIndices.length);
        for (int i : denseIndices) {
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

    /**
     * The embedding rows touched since the last step and their summed gradients, as copies: user ids
     * (int64), user gradients, item ids, item gradients (empty arrays when none); null with dense embeddings.
     */
    public NDList pendingRowGradients() {
        if (rowGradients == null) {
            return null;
        }
        NDList out = new NDList(2 * rowGradients.length);
        for (SparseRowGradients rows : rowGradients) {
            out.addAll(rows.snapshot(model.manager()));
        }
        return out;
    }

    /**
     * Restores counters and accumulated gradients saved with {@link #counters()}, {@link #pendingGradients()}
     * and {@link #pendingRowGradients()} (null: none, or dense embeddings).
     */
    public void restore(long[] counters, NDList pendingGradients, NDList pendingRowGradients) {
        microBatchInEpoch = (int) counters[0];
        microBatches = counters[1];
        pendingMicroBatches = (int) counters[2];
        clearCarried();
        if (pendingGradients != null) {
            if (pendingGradients.size() != denseIndices.length) {
                throw new IllegalArgumentException("expected " + denseIndices.length + " pending gradients, got "
                        + pendingGradients.size());
            }
            carriedGradients = new NDArray[model.parameters().length];
            for (int k = 0; k < denseIndices.length; k++) {
                NDArray g = pendingGradients.get(k);
                g.attach(model.manager());
                carriedGradients[denseIndices[k]] = NativeArrays.own(g);
            }
        }
        if (pendingRowGradients != null) {
            if (rowGradients == null || pendingRowGradients.size() != 2 * rowGradients.length) {
                throw new IllegalArgumentException("pending embedding rows do not match embedding_optimizer "
                        + config.embeddingOptimizer());
            }
            for (int t = 0; t < rowGradients.length; t++) {
                rowGradients[t].restore(pendingRowGradients.get(2 * t), pendingRowGradients.get(2 * t + 1),
                        model.manager());
            }
        }
    }

    /**
     * Restores the optimizers: AdamW's moments, and the sparse embedding optimizer's state saved by
     * {@link #embeddingOptimizerState()} (null with dense embeddings); see {@link #create} for fresh ones.
     */
    public static TwoTowerTrainer restored(TwoTowerConfig config, TwoTowerModel model, NDList moments,
            NDList embeddingState, long step, double lr) {
        AdamW adamW = AdamW.restore(model.manager(), moments, step, lr, config.weightDecay(), config.adamBeta2());
        SparseEmbeddingOptimizer sparse = null;
        if (config.sparseEmbeddings()) {
            if (embeddingState == null) {
                throw new IllegalArgumentException("embedding_optimizer " + config.embeddingOptimizer()
                        + " needs its state, and the saved trainer has none");
            }
            sparse = SparseEmbeddingOptimizer.restore(config, model.manager(), embeddingState);
        }
        return new TwoTowerTrainer(config, model, adamW, sparse);
    }

    /**
     * A restored trainer whose embedding tables and their optimizer state are saved elsewhere (rows in keyed
     * state): zero tables of the saved sizes, fresh sparse state, both overwritten by {@link #loadRows} next.
     */
    static TwoTowerTrainer restoredAwaitingRows(TwoTowerConfig config, TwoTowerModel model, NDList moments,
            long step, double lr) {
        if (!config.sparseEmbeddings()) {
            throw new IllegalArgumentException("embedding tables saved as rows need a sparse embedding_optimizer, "
                    + "the configuration sets embedding_optimizer " + config.embeddingOptimizer());
        }
        AdamW adamW = AdamW.restore(model.manager(), moments, step, lr, config.weightDecay(), config.adamBeta2());
        SparseEmbeddingOptimizer sparse = SparseEmbeddingOptimizer.create(config, model.manager(),
                new long[] {model.numUsers(), model.numItems()}, model.dModel());
        TwoTowerTrainer trainer = new TwoTowerTrainer(config, model, adamW, sparse);
        trainer.awaitingRows = true;
        return trainer;
    }

    /** Whether this trainer was restored without its tables and waits for {@link #loadRows} to fill them. */
    public boolean awaitsSavedRows() {
        return awaitingRows;
    }

    /** The saved rows are all loaded (the caller checked that every row came back). */
    public void savedRowsLoaded() {
        awaitingRows = false;
    }

    /**
     * Starts recording which embedding rows change, for checkpoints that save only those (every row counts as
     * changed now: the first save writes the tables whole). Needs a sparse embedding optimizer: dense AdamW
     * rewrites every row at every step.
     */
    public ChangedRows trackChangedRows() {
        if (embeddingOptimizer == null) {
            throw new IllegalStateException("saving changed embedding rows needs a sparse embedding_optimizer "
                    + "(lazy_adamw or rowwise_adagrad), not " + config.embeddingOptimizer());
        }
        changedRows = new ChangedRows();
        changedRows.markRange(0, 0, model.numUsers());
        changedRows.markRange(1, 0, model.numItems());
        return changedRows;
    }

    /** Floats per saved embedding row: the row's d_model values, then its optimizer state. */
    public int savedRowWidth() {
        if (embeddingOptimizer == null) {
            throw new IllegalStateException("embedding rows are saved with their state only with a sparse embedding_optimizer");
        }
        return model.dModel() + embeddingOptimizer.rowStateWidth(model.dModel());
    }

    /** Rows in table {@code table} (0: users, 1: items). */
    public int tableRows(int table) {
        return table == 0 ? model.numUsers() : model.numItems();
    }

    /**
     * Rows {@code rows[from, to)} of table {@code table} (0: users, 1: items) with their optimizer state, row
     * after row, {@link #savedRowWidth()} floats each.
     */
    public float[] savedRows(int table, long[] rows, int from, int to) {
        boolean gradMode = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        try (NDManager scope = model.manager().newSubManager()) {
            NDIndex at = new NDIndex("{}", scope.create(Arrays.copyOfRange(rows, from, to)));
            NDArray values = tableArray(table).get(scope, at);
            NDArray state = embeddingOptimizer.rowState(scope, table, at);
            return values.concat(state, 1).toFloatArray();
        } finally {
            JniUtils.setGradMode(gradMode);
        }
    }

    /** Writes rows saved by {@link #savedRows}: {@code rows[0, n)} of table {@code table} and their state. */
    public void loadRows(int table, long[] rows, int n, float[] saved) {
        int width = savedRowWidth();
        int d = model.dModel();
        boolean gradMode = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        try (NDManager scope = model.manager().newSubManager()) {
            NDIndex at = new NDIndex("{}", scope.create(Arrays.copyOf(rows, n)));
            NDArray values = scope.create(java.nio.FloatBuffer.wrap(saved, 0, n * width), new Shape(n, width));
            tableArray(table).set(at, values.get(new NDIndex(":, 0:{}", d)));
            embeddingOptimizer.setRowState(table, at, values.get(new NDIndex(":, {}:", d)));
        } finally {
            JniUtils.setGradMode(gradMode);
        }
    }

    private NDArray tableArray(int table) {
        return model.parameters()[table == 0 ? USER_TABLE : ITEM_TABLE];
    }

    /** The sparse embedding optimizer's state (live arrays), or null with dense embeddings. */
    public NDList embeddingOptimizerState() {
        return embeddingOptimizer == null ? null : embeddingOptimizer.state();
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
        if (rowGradients != null) {
            for (SparseRowGradients rows : rowGradients) {
                rows.close();
            }
        }
        model.close();
    }
}
