package io.twotower.job.train;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.twotower.connectors.dataset.DatasetLayout;
import io.twotower.connectors.dataset.SeenItems;
import io.twotower.connectors.dataset.SequenceFiles;
import io.twotower.connectors.dataset.Sequences;
import io.twotower.connectors.snapshot.SnapshotStore;
import io.twotower.connectors.snapshot.StorageErrors;
import io.twotower.connectors.source.EpochDecisionEvent;
import io.twotower.job.trainer.CheckpointStats;
import io.twotower.job.trainer.TrainerCheckpoint;
import io.twotower.job.trainer.TrainerTables;
import io.twotower.job.trainer.NativeHeapTrim;
import io.twotower.job.trainer.ProgressMeter;
import io.twotower.job.trainer.TrainerMetrics;
import io.twotower.model.RetrievalEvaluator;
import io.twotower.model.RetrievalMetrics;
import io.twotower.model.TrainerStateCodec;
import io.twotower.model.TrainerThreads;
import io.twotower.model.TrainingBatch;
import io.twotower.model.TrainingProgress;
import io.twotower.model.TwoTowerConfig;
import io.twotower.model.TwoTowerModel;
import io.twotower.model.TwoTowerTrainer;
import org.apache.flink.core.fs.FSDataInputStream;
import org.apache.flink.core.fs.Path;
import org.apache.flink.runtime.operators.coordination.OperatorEventGateway;
import org.apache.flink.runtime.state.StateInitializationContext;
import org.apache.flink.runtime.state.StateSnapshotContext;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.BoundedOneInput;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.api.operators.StreamOperatorParameters;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static io.twotower.job.trainer.StateStreams.readBytes;

/**
 * The training operator (parallelism 1): assembles mini-batches, runs the DJL step, and at each epoch's
 * end (watermark = epoch) evaluates Recall@K on the validation rows, steps the schedule, publishes a
 * snapshot when the model improved, and tells the source whether to read another epoch. Its checkpoint
 * holds everything needed to resume exactly (see {@link #snapshotState}).
 */
public final class TrainerOperator extends AbstractStreamOperator<EpochReport>
        implements OneInputStreamOperator<TrainingExample, EpochReport>, BoundedOneInput {
    private static final long serialVersionUID = 1L;
    private static final int STATE_VERSION = 4;
    /** Users with at most this many items before their validation row count as short histories. */
    static final int SHORT_HISTORY = 5;
    private static final Logger LOG = LoggerFactory.getLogger(TrainerOperator.class);

    private final TrainingSpec spec;
    private final transient OperatorEventGateway coordinator;

    /** Whether initializeState restored the trainer from a checkpoint. */
    private transient boolean restored;
    private transient CheckpointStats checkpoints;
    /** Where the checkpoints keep the embedding tables (--table-state). */
    private transient TrainerTables tables;
    /** Gives malloc's freed memory back to the OS at every epoch's end (NativeHeapTrim). */
    private transient NativeHeapTrim heapTrim;

    private transient NDManager root;
    private transient TwoTowerTrainer trainer;
    private transient TrainingProgress progress;
    private transient TrainingBatch batch;
    /** Where the run is and its figures so far (checkpointed with the trainer; the best model is its snapshot). */
    private transient TrainingRun run;
    /** Puts the samplers' interleaved outputs back into the source's order before batching. */
    private transient EpochOrderBuffer order;
    /** Tells parallel readers how far the order has got, so none reads far ahead. */
    private transient TrainerProgressSender progressSender;
    private transient Sequences validation;
    /** Each validation row's history (its last --max-history items): the history and sequence towers' input. */
    private transient int[][] validationHistories;
    /** Each user's training items, the "seen items" of validation (and, with the validation item, of test). */
    private transient int[][] trainingSeen;
    /** Each validation row's seen items: all of the user's training items (the histories hold the last few). */
    private transient int[][] validationSeen;
    private transient RetrievalEvaluator evaluator;
    private transient SnapshotStore snapshots;

    private transient long batchStartNanos;
    private transient ProgressMeter progressMeter;
    private transient TrainerMetrics metrics;
    private transient EpochReport lastReport;

    TrainerOperator(StreamOperatorParameters<EpochReport> parameters, TrainingSpec spec, OperatorEventGateway coordinator) {
        super(parameters);
        this.spec = spec;
        this.coordinator = coordinator;
    }

    /**
     * Chooses the device and rebuilds the trainer from the checkpoint, if any: here rather than in {@code open()},
     * because the checkpoint's raw state stream can be read only now ({@link TrainerCheckpoint}).
     */
    @Override
    public void initializeState(StateInitializationContext context) throws Exception {
        super.initializeState(context);
        TwoTowerConfig config = spec.config;
        Device device = DeviceSelector.select(config.device(), getRuntimeContext().getExternalResourceInfos("gpu"));
        int threads = TrainerThreads.apply(config);
        LOG.info("Trainer on device {} ({} intra-op threads) for {} users x {} items, config {}", device, threads,
                spec.numUsers, spec.numItems, config);
        root = NDManager.newBaseManager(device);
        // model: sequence trains every position of a window: the source emits the rows whose windows tile each user.
        batch = new TrainingBatch(config.batchSize(), config.kNeg(), config.historyLength(), config.everyPosition());
        order = new EpochOrderBuffer(EpochOrderBuffer.DEFAULT_CAPACITY);
        checkpoints = new CheckpointStats();
        heapTrim = new NativeHeapTrim(NativeHeapTrim.DEFAULT_INTERVAL_NANOS);
        tables = TrainerTables.open(spec.keyedTables, context, this);
        long start = System.nanoTime();
        restored = TrainerCheckpoint.restore(context, "trainer", this::restore);
        if (restored) {
            tables.restored(trainer);
            LOG.info(String.format("Read the trainer's checkpointed state in %.1f s (table state %s)",
                    (System.nanoTime() - start) / 1e9, tables.layout()));
        }
    }

    @Override
    public void open() throws Exception {
        super.open();
        TwoTowerConfig config = spec.config;
        DatasetLayout layout = new DatasetLayout(new Path(spec.dataDir));
        validation = SequenceFiles.read(layout.validation(), spec.numUsers, spec.numItems);
        validationHistories = new int[validation.size()][];
        for (int r = 0; r < validation.size(); r++) {
            validationHistories[r] = validation.history(r);
        }
        trainingSeen = SeenItems.byUser(layout, spec.numUsers, spec.numItems);
        validationSeen = seenItemsOfRows(validation, trainingSeen);
        evaluator = new RetrievalEvaluator(config.evalBlockSize());
        snapshots = new SnapshotStore(new Path(spec.outputDir), spec.runId);
        progressSender = new TrainerProgressSender(coordinator, config.readers(), config.readAhead());
        if (restored) {
            run.restoredAtSteps.add(trainer.steps());
            LOG.info("Restored trainer at epoch {}, step {}, {} examples trained", run.currentEpoch + 1, trainer.steps(),
                    run.totalExamples);
            if (run.lastDecisionEpoch >= 0) {
                // The source may not have seen it before the failure; it ignores a repeat.
                sendDecision(run.lastDecisionEpoch, run.lastDecisionContinue);
            }
            // Restored readers wait for the trainer's position before they read past their read-ahead.
            progressSender.send(run.currentEpoch, run.examplesThisEpoch);
        } else {
            trainer = TwoTowerTrainer.create(config, TwoTowerModel.initialise(root.newSubManager(), config,
                    spec.numUsers, spec.numItems));
            progress = TrainingProgress.start(config);
            run = new TrainingRun();
            tables.created(trainer);
        }
        if (progressSender.isActive()) {
            getProcessingTimeService().scheduleWithFixedDelay(
                    time -> progressSender.send(run.currentEpoch, run.examplesThisEpoch), 1000, 1000);
        }
        registerMetrics();
        progressMeter = new ProgressMeter(ProgressMeter.DEFAULT_INTERVAL_NANOS, "examples");
        progressMeter.restart(System.nanoTime(), run.examplesThisEpoch);
    }

    private void registerMetrics() {
        metrics = TrainerMetrics.register(getMetricGroup());
        getMetricGroup().gauge("epoch", () -> run.currentEpoch + 1);
        getMetricGroup().gauge("steps", () -> trainer.steps());
        getMetricGroup().gauge("examplesTrained", () -> run.totalExamples);
        getMetricGroup().gauge("examplesThisEpoch", () -> run.examplesThisEpoch);
        getMetricGroup().gauge("learningRate", () -> trainer.optimizer().learningRate());
        getMetricGroup().gauge("trainLoss", () -> lastReport == null ? Double.NaN : lastReport.loss);
        getMetricGroup().gauge("recallAtK", () -> lastReport == null ? Double.NaN : lastReport.recall);
        getMetricGroup().gauge("bestRecallAtK", () -> progress.bestRecall());
        getMetricGroup().gauge("examplesPerSecond", () -> lastReport == null ? Double.NaN : lastReport.examplesPerSecond);
    }

    @Override
    public void processElement(StreamRecord<TrainingExample> element) throws Exception {
        TrainingExample example = element.getValue();
        if (run.stopped) {
            throw new IllegalStateException("an example of epoch " + (example.epoch + 1)
                    + " arrived after training stopped; the source should have read no more epochs");
        }
        if (example.epoch != run.currentEpoch) {
            throw new IllegalStateException("an example of epoch " + (example.epoch + 1) + " arrived during epoch "
                    + (run.currentEpoch + 1) + "; epochs must not overlap");
        }
        order.add(example, this::train);
    }

    private void train(TrainingExample example) {
        if (batch.isEmpty()) {
            batchStartNanos = System.nanoTime();
        }
        batch.add(example.user, example.positive, example.negatives, 0, example.history, example.history.length);
        run.examplesThisEpoch++;
        run.totalExamples++;
        progressSender.released(run.currentEpoch, run.examplesThisEpoch);
        if (batch.isFull()) {
            trainPendingBatch();
        }
    }

    private void trainPendingBatch() {
        long stepStart = System.nanoTime();
        run.lossSumThisEpoch += trainer.trainBatch(batch);
        long now = System.nanoTime();
        metrics.stepped(now - stepStart, batch.size());
        run.batchesThisEpoch++;
        run.trainSecondsThisEpoch += (now - batchStartNanos) / 1e9;
        batch.clear();
        String line = progressMeter.line(now, run.examplesThisEpoch, spec.examplesPerEpoch);
        if (line != null) {
            LOG.info(String.format("Epoch %d: %s, running loss %.4f, steps=%d", run.currentEpoch + 1, line,
                    run.lossSumThisEpoch / run.batchesThisEpoch, trainer.steps()));
        }
    }

    @Override
    public void processWatermark(Watermark mark) throws Exception {
        // Watermark e means every example of epoch e has arrived.
        while (!run.stopped && run.currentEpoch <= mark.getTimestamp() && run.currentEpoch < spec.config.epochs()) {
            finishEpoch();
        }
        super.processWatermark(mark);
    }

    @Override
    public void endInput() throws Exception {
        if (!run.stopped && run.currentEpoch < spec.config.epochs() && run.examplesThisEpoch > 0) {
            finishEpoch();
        }
        if (!run.finished) {
            writeResults();
            run.finished = true;
        }
    }

    private void finishEpoch() throws IOException {
        // An epoch frees tensors of many sizes; give malloc's free pages back before evaluation (NativeHeapTrim).
        heapTrim.trimNow();
        order.finishEpoch(run.currentEpoch);
        if (!batch.isEmpty()) {
            // The epoch's last, smaller batch, as the notebook's DataLoader yields it.
            trainPendingBatch();
        }
        int epoch = run.currentEpoch + 1;
        double avgLoss = run.batchesThisEpoch == 0 ? Double.NaN : run.lossSumThisEpoch / run.batchesThisEpoch;
        double speed = run.trainSecondsThisEpoch > 0 ? run.examplesThisEpoch / run.trainSecondsThisEpoch : 0;
        // eval_every: only every n-th epoch (and the last) is validated; the others keep lr and counters.
        boolean validated = spec.config.evaluatesAfter(epoch);
        ObjectNode metrics = validated ? evaluateOnEveryCore(trainer.model()) : JsonNodeFactory.instance.objectNode();
        metrics.put("epoch", epoch);
        metrics.put("learning_rate", trainer.optimizer().learningRate());
        run.epochMetrics.add(metrics.toString());
        double lr = trainer.optimizer().learningRate();
        double recall = Double.NaN;
        TrainingProgress.EpochDecision decision;
        if (validated) {
            // Early stopping and the scheduler follow the notebook's metric, Recall@K over all items, unless
            // exclude_history asks for the ranking a recommender serves (seen items filtered).
            double allItems = metrics.get("all_items").get("Recall@" + spec.config.evalTopK()).asDouble();
            double seenExcluded = metrics.get("exclude_history").get("Recall@" + spec.config.evalTopK()).asDouble();
            recall = spec.config.excludeHistory() ? seenExcluded : allItems;
            decision = progress.endEpoch(avgLoss, recall, lr, spec.config.epochs());
            LOG.info(String.format("Epoch %d: Loss=%.4f, Recall@%d=%.4f (seen items excluded: %.4f), lr=%.3g, "
                            + "examples/s=%.0f, examples=%d, steps=%d%s", epoch, avgLoss, spec.config.evalTopK(),
                    allItems, seenExcluded, lr, speed, run.examplesThisEpoch, trainer.steps(),
                    decision.newBest ? " (best)" : ""));
        } else {
            decision = progress.endEpochUnevaluated(avgLoss, lr, spec.config.epochs());
            LOG.info(String.format("Epoch %d: Loss=%.4f, not validated (eval_every %d), lr=%.3g, examples/s=%.0f, "
                            + "examples=%d, steps=%d", epoch, avgLoss, spec.config.evalEvery(), lr, speed,
                    run.examplesThisEpoch, trainer.steps()));
        }
        trainer.optimizer().setLearningRate(decision.learningRate);
        run.recordEpoch(speed);
        if (decision.newBest) {
            publishSnapshot(trainer.model(), epoch, recall, avgLoss);
        }
        boolean earlyStop = progress.stoppedEarly(spec.config.epochs());
        if (earlyStop) {
            LOG.info("Early stopping after epoch {}: Recall@{} has not improved for {} validations (best {} at epoch {})",
                    epoch, spec.config.evalTopK(), spec.config.patience(), progress.bestRecall(), progress.bestEpoch());
        }
        EpochReport report = new EpochReport();
        report.epoch = epoch;
        report.loss = avgLoss;
        report.recall = recall;
        report.learningRate = lr;
        report.examples = run.examplesThisEpoch;
        report.examplesPerSecond = speed;
        report.steps = trainer.steps();
        report.newBest = decision.newBest;
        report.stop = decision.stop;
        lastReport = report;
        output.collect(new StreamRecord<>(report));

        run.startNextEpoch();
        trainer.startEpoch();
        progressMeter.restart(System.nanoTime(), 0);
        run.stopped = decision.stop;
        run.lastDecisionEpoch = epoch - 1;
        run.lastDecisionContinue = !decision.stop;
        sendDecision(run.lastDecisionEpoch, run.lastDecisionContinue);
    }

    /** Full-catalog metrics of {@code model} on the validation rows, over all items and with seen items excluded. */
    private ObjectNode evaluate(TwoTowerModel model) {
        return evaluate(model, validation, validationHistories, validationSeen);
    }

    /**
     * The same on any held-out rows (validation, or test at the end) with their histories (the model's input) and
     * their seen items (what "seen items excluded" filters: every earlier item of the user, as the baselines do).
     */
    private ObjectNode evaluate(TwoTowerModel model, Sequences rows, int[][] histories, int[][] seen) {
        int k = spec.config.evalTopK();
        ObjectNode out = JsonNodeFactory.instance.objectNode();
        out.putPOJO("all_items", RetrievalMetrics.evaluate(evaluator, model, rows.users(), histories,
                rows.positives(), null, k));
        out.putPOJO("exclude_history", RetrievalMetrics.evaluate(evaluator, model, rows.users(),
                histories, rows.positives(), seen, k));
        return (ObjectNode) new com.fasterxml.jackson.databind.ObjectMapper().valueToTree(out);
    }

    /** Row r's seen items: those of its user in {@code byUser}. */
    private static int[][] seenItemsOfRows(Sequences rows, int[][] byUser) {
        int[][] out = new int[rows.size()][];
        for (int r = 0; r < rows.size(); r++) {
            out[r] = byUser[rows.users()[r]];
        }
        return out;
    }

    /** {@link #evaluate(TwoTowerModel)} on every core: nothing else runs while an epoch's end is evaluated. */
    private ObjectNode evaluateOnEveryCore(TwoTowerModel model) {
        try (TrainerThreads.Restore threads = TrainerThreads.forEvaluation(spec.config)) {
            return evaluate(model);
        }
    }

    /**
     * The same metrics for short histories: on the held-out rows (validation or test) whose user had at most
     * {@link #SHORT_HISTORY} items before, and (history tower only) on every such row with the
     * user known by their last {@link #SHORT_HISTORY} items alone, both as the tower's input and as the
     * seen items (a user new to the system; the id tower cannot be asked that question).
     */
    private ObjectNode evaluateShortHistories(TwoTowerModel model, Sequences heldOut, int[][] heldOutHistories) {
        List<Integer> rows = new ArrayList<>();
        int[][] truncated = new int[heldOut.size()][];
        for (int r = 0; r < heldOut.size(); r++) {
            int[] h = heldOutHistories[r];
            if (h.length <= SHORT_HISTORY) {
                rows.add(r);
            }
            truncated[r] = java.util.Arrays.copyOfRange(h, Math.max(0, h.length - SHORT_HISTORY), h.length);
        }
        int[] users = new int[rows.size()];
        int[] positives = new int[rows.size()];
        int[][] histories = new int[rows.size()][];
        int[] heldOutUsers = heldOut.users();
        int[] heldOutPositives = heldOut.positives();
        for (int i = 0; i < rows.size(); i++) {
            users[i] = heldOutUsers[rows.get(i)];
            positives[i] = heldOutPositives[rows.get(i)];
            histories[i] = heldOutHistories[rows.get(i)];
        }
        int k = spec.config.evalTopK();
        ObjectNode out = JsonNodeFactory.instance.objectNode();
        out.put("rows", rows.size());
        out.put("max_history", SHORT_HISTORY);
        if (!rows.isEmpty()) {
            out.putPOJO("all_items", RetrievalMetrics.evaluate(evaluator, model, users, histories, positives, null, k));
            out.putPOJO("exclude_history",
                    RetrievalMetrics.evaluate(evaluator, model, users, histories, positives, histories, k));
        }
        if (spec.config.historyLength() > 0) {
            out.putPOJO("last_items_only_exclude_history", RetrievalMetrics.evaluate(evaluator, model,
                    heldOutUsers, truncated, heldOutPositives, truncated, k));
        }
        return (ObjectNode) new com.fasterxml.jackson.databind.ObjectMapper().valueToTree(out);
    }

    private void sendDecision(int epoch, boolean continueTraining) {
        coordinator.sendEventToCoordinator(new ToSourceEvent(new EpochDecisionEvent(epoch, continueTraining)));
    }

    private void publishSnapshot(TwoTowerModel model, int epoch, double recall, double loss) throws IOException {
        Map<String, SnapshotStore.FileWriter> files = EmbeddingExport.files(model, evaluator, latestHistories());
        DatasetLayout layout = new DatasetLayout(new Path(spec.dataDir));
        files.put(DatasetLayout.USER_MAP, out -> copy(layout.userMap(), out));
        files.put(DatasetLayout.ITEM_MAP, out -> copy(layout.itemMap(), out));
        ObjectNode fields = EmbeddingExport.manifestFields(model, spec.config, "train", trainer.steps());
        fields.put("epoch", epoch);
        fields.putObject("metrics").put("Recall@" + spec.config.evalTopK(), recall).put("train_loss", loss);
        run.snapshotSequence++;
        long start = System.nanoTime();
        snapshots.publishStreaming(run.snapshotSequence, files, fields, true, spec.keepSnapshots);
        LOG.info(String.format("Published snapshot %d (epoch %d, %d items x %d) in %.1f s", run.snapshotSequence, epoch,
                model.numItems(), model.dModel(), (System.nanoTime() - start) / 1e9));
    }

    /** The prepared data's id map, as it is, into the snapshot (a catalog's map can be large: no whole copy). */
    private static void copy(Path file, OutputStream out) throws IOException {
        try (FSDataInputStream in = file.getFileSystem().open(file)) {
            in.transferTo(out);
        } catch (IOException e) {
            throw StorageErrors.describe("cannot read", file, e);
        }
    }

    /**
     * Each user's latest known history, for the history tower's exported user vectors: the items before
     * the user's validation row (everything training saw of that user). Users without one get none.
     */
    private int[][] latestHistories() {
        if (spec.config.historyLength() == 0) {
            return null;
        }
        int[][] latest = new int[spec.numUsers][];
        for (int r = 0; r < validation.size(); r++) {
            latest[validation.users()[r]] = validationHistories[r];
        }
        return latest;
    }

    private void writeResults() throws IOException {
        double finalRecall = Double.NaN;
        ObjectNode finalMetrics = null;
        ObjectNode testMetrics = null;
        if (run.snapshotSequence > 0) {
            // The notebook's section 8 reused the last epoch's item vectors; here both towers are the best model's,
            // read back from its snapshot (a snapshot is published only for a new best, so it is the last one).
            try (NDManager scope = root.newSubManager();
                    TrainerThreads.Restore threads = TrainerThreads.forEvaluation(spec.config)) {
                TwoTowerModel best = bestModel(scope);
                finalMetrics = evaluate(best);
                finalMetrics.set("short_history", evaluateShortHistories(best, validation, validationHistories));
                finalRecall = finalMetrics.get(spec.config.excludeHistory() ? "exclude_history" : "all_items")
                        .get("Recall@" + spec.config.evalTopK()).asDouble();
                testMetrics = evaluateTest(best);
            }
        }
        TrainingResults.write(spec, progress, finalRecall, finalMetrics, testMetrics, run.epochMetrics,
                run.examplesPerEpoch, run.examplesPerSecond, trainer.steps(), run.restoredAtSteps, snapshots,
                run.snapshotSequence, checkpoints);
        LOG.info("Best validation Recall@{}: {} (epoch {}); final Recall@{} of the restored best model: {}",
                spec.config.evalTopK(), progress.bestRecall(), progress.bestEpoch(), spec.config.evalTopK(), finalRecall);
        EpochReport report = new EpochReport();
        report.epoch = progress.epochsDone();
        report.recall = progress.bestRecall();
        report.finalRecall = finalRecall;
        report.steps = trainer.steps();
        report.examples = run.totalExamples;
        report.last = true;
        output.collect(new StreamRecord<>(report));
    }

    /**
     * The selected model's metrics on the test rows ({@code prepare --holdout val+test}), or null without them.
     * Evaluated once, here: validation alone chose the epoch and drove the schedule. A test row's history is the
     * user's training and validation items.
     */
    private ObjectNode evaluateTest(TwoTowerModel best) throws IOException {
        Path testFile = new DatasetLayout(new Path(spec.dataDir)).test();
        if (!testFile.getFileSystem().exists(testFile)) {
            return null;
        }
        Sequences test = SequenceFiles.read(testFile, spec.numUsers, spec.numItems);
        int[][] histories = new int[test.size()][];
        for (int r = 0; r < test.size(); r++) {
            histories[r] = test.history(r);
        }
        int[][] seenByTestTime = SeenItems.plus(trainingSeen, validation.users(), validation.positives());
        ObjectNode metrics = evaluate(best, test, histories, seenItemsOfRows(test, seenByTestTime));
        metrics.set("short_history", evaluateShortHistories(best, test, histories));
        LOG.info("Test metrics of the selected model (epoch {}) on {} rows: {}", progress.bestEpoch(), test.size(),
                metrics);
        return metrics;
    }

    /** The best model, from its snapshot (streamed, chunk by chunk), after checking the snapshot against its manifest. */
    private TwoTowerModel bestModel(NDManager manager) throws IOException {
        List<String> problems = snapshots.verify(run.snapshotSequence);
        if (!problems.isEmpty()) {
            throw new IOException("the best model's snapshot " + snapshots.snapshotDir(run.snapshotSequence)
                    + " does not verify: " + problems);
        }
        return SnapshotParameters.read(snapshots.snapshotDir(run.snapshotSequence), manager, spec.config);
    }

    @Override
    public void snapshotState(StateSnapshotContext context) throws Exception {
        super.snapshotState(context);
        TrainerCheckpoint.write(context, this::writeState, tables.rowWriter(trainer), checkpoints);
    }

    @Override
    public void notifyCheckpointComplete(long checkpointId) throws Exception {
        super.notifyCheckpointComplete(checkpointId);
        checkpoints.completed(checkpointId);
    }

    /**
     * Everything needed to resume exactly: the trainer (weights, AdamW moments, step, lr, accumulated
     * gradients), the schedule and early-stopping counters, the run's bookkeeping ({@link TrainingRun}: the
     * epoch's running figures, the last decision sent to the source, the best weights so far), the pending
     * partial batch, the examples that arrived ahead of their turn and the checkpoint counts. The trainer is
     * streamed in bounded chunks (version 4 on; before, one length-prefixed byte array).
     */
    private void writeState(DataOutputStream out) throws IOException {
        out.writeInt(STATE_VERSION);
        tables.writeTrainer(trainer, out);
        progress.write(out);
        run.write(out);
        PendingBatchCodec.write(out, batch);
        order.writeWaiting(out);
        checkpoints.write(out);
    }

    private void restore(DataInputStream in) throws IOException {
        int version = in.readInt();
        // Version 1 (before the history tower) stored no history with the pending examples; version 2 no
        // order buffer (examples were trained in arrival order, so none waited); version 3 held the trainer as
        // one byte array and no checkpoint counts.
        if (version < 1 || version > STATE_VERSION) {
            throw new IOException("unsupported trainer checkpoint version " + version + " (this build reads 1 to "
                    + STATE_VERSION + ")");
        }
        trainer = version >= 4
                ? TrainerStateCodec.read(in, root.newSubManager(), spec.config)
                : TrainerStateCodec.decode(readBytes(in), root.newSubManager(), spec.config);
        progress = TrainingProgress.read(in, spec.config);
        run = TrainingRun.read(in);
        batchStartNanos = System.nanoTime();
        PendingBatchCodec.read(in, batch, version >= 2);
        // Every example trained this epoch was released in order (before version 3: in arrival order).
        order.resumeAt(run.examplesThisEpoch);
        if (version >= 3) {
            order.readWaiting(in);
        }
        if (version >= 4) {
            checkpoints = CheckpointStats.read(in);
        }
    }

    /** Examples trained so far, over all epochs (for tests and metrics). */
    long totalExamples() {
        return run.totalExamples;
    }

    @Override
    public void close() throws Exception {
        JniUtils.setGradMode(false);
        if (trainer != null) {
            trainer.close();
        }
        if (root != null) {
            root.close();
        }
        super.close();
    }
}
