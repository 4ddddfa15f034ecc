package io.twotower.job.train;

import ai.djl.Device;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.twotower.connectors.dataset.DatasetLayout;
import io.twotower.connectors.dataset.SequenceFiles;
import io.twotower.connectors.dataset.Sequences;
import io.twotower.connectors.snapshot.SnapshotStore;
import io.twotower.connectors.source.EpochDecisionEvent;
import io.twotower.model.RetrievalEvaluator;
import io.twotower.model.RetrievalMetrics;
import io.twotower.model.TrainerStateCodec;
import io.twotower.model.TrainingBatch;
import io.twotower.model.TrainingProgress;
import io.twotower.model.TwoTowerConfig;
import io.twotower.model.TwoTowerModel;
import io.twotower.model.TwoTowerTrainer;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
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

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The training operator (parallelism 1): assembles mini-batches, runs the DJL step, and at each epoch's
 * end (watermark = epoch) evaluates Recall@K on the validation rows, steps the schedule, publishes a
 * snapshot when the model improved, and tells the source whether to read another epoch. Its checkpoint
 * holds everything needed to resume exactly (see {@link #snapshotState}).
 */
public final class TrainerOperator extends AbstractStreamOperator<EpochReport>
        implements OneInputStreamOperator<TrainingExample, EpochReport>, BoundedOneInput {
    private static final long serialVersionUID = 1L;
    private static final int STATE_VERSION = 3;
    /** Users with at most this many items before their validation row count as short histories. */
    static final int SHORT_HISTORY = 5;
    private static final Logger LOG = LoggerFactory.getLogger(TrainerOperator.class);

    private final TrainingSpec spec;
    private final transient OperatorEventGateway coordinator;

    private transient ListState<byte[]> checkpointedState;
    private transient byte[] restoredState;

    private transient NDManager root;
    private transient TwoTowerTrainer trainer;
    private transient TrainingProgress progress;
    private transient TrainingBatch batch;
    /** Puts the samplers' interleaved outputs back into the source's order before batching. */
    private transient EpochOrderBuffer order;
    private transient Sequences validation;
    /** Each validation row's history: the items seen-item filtering removes from its ranking. */
    private transient int[][] validationHistories;
    /** Per evaluated epoch, the full metrics both ways as a JSON object (kept for the results file). */
    private transient List<String> epochMetrics;
    private transient RetrievalEvaluator evaluator;
    private transient SnapshotStore snapshots;

    /** 0-based epoch whose examples are arriving now. */
    private transient int currentEpoch;
    private transient boolean stopped;
    private transient long examplesThisEpoch;
    private transient double lossSumThisEpoch;
    private transient int batchesThisEpoch;
    private transient double trainSecondsThisEpoch;
    private transient long batchStartNanos;
    private transient List<Long> examplesPerEpoch;
    private transient List<Double> examplesPerSecond;
    private transient int lastDecisionEpoch;
    private transient boolean lastDecisionContinue;
    private transient long snapshotSequence;
    private transient byte[] bestParameters;
    private transient long totalExamples;
    /** The optimizer step each restore resumed from: evidence in the results that recovery did not start over. */
    private transient List<Long> restoredAtSteps;
    private transient boolean finished;
    private transient EpochReport lastReport;

    TrainerOperator(StreamOperatorParameters<EpochReport> parameters, TrainingSpec spec, OperatorEventGateway coordinator) {
        super(parameters);
        this.spec = spec;
        this.coordinator = coordinator;
    }

    @Override
    public void initializeState(StateInitializationContext context) throws Exception {
        super.initializeState(context);
        checkpointedState = context.getOperatorStateStore().getListState(
                new ListStateDescriptor<>("trainer", PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO));
        for (byte[] bytes : checkpointedState.get()) {
            // Decoded in open(): the DJL engine and device are chosen there.
            restoredState = bytes;
        }
    }

    @Override
    public void open() throws Exception {
        super.open();
        TwoTowerConfig config = spec.config;
        Device device = DeviceSelector.select(config.device(), getRuntimeContext().getExternalResourceInfos("gpu"));
        LOG.info("Trainer on device {} for {} users x {} items, config {}", device, spec.numUsers, spec.numItems, config);
        root = NDManager.newBaseManager(device);
        DatasetLayout layout = new DatasetLayout(new Path(spec.dataDir));
        validation = SequenceFiles.read(layout.validation(), spec.numUsers, spec.numItems);
        validationHistories = new int[validation.size()][];
        for (int r = 0; r < validation.size(); r++) {
            validationHistories[r] = validation.history(r);
        }
        evaluator = new RetrievalEvaluator(config.evalBlockSize());
        snapshots = new SnapshotStore(new Path(spec.outputDir), spec.runId);
        batch = new TrainingBatch(config.batchSize(), config.kNeg(), config.historyLength());
        order = new EpochOrderBuffer(EpochOrderBuffer.DEFAULT_CAPACITY);
        if (restoredState != null) {
            restore(restoredState);
            restoredState = null;
            restoredAtSteps.add(trainer.steps());
            LOG.info("Restored trainer at epoch {}, step {}, {} examples trained", currentEpoch + 1, trainer.steps(),
                    totalExamples);
            if (lastDecisionEpoch >= 0) {
                // The source may not have seen it before the failure; it ignores a repeat.
                sendDecision(lastDecisionEpoch, lastDecisionContinue);
            }
        } else {
            trainer = TwoTowerTrainer.create(config, TwoTowerModel.initialise(root.newSubManager(), config,
                    spec.numUsers, spec.numItems));
            progress = TrainingProgress.start(config);
            examplesPerEpoch = new ArrayList<>();
            examplesPerSecond = new ArrayList<>();
            restoredAtSteps = new ArrayList<>();
            epochMetrics = new ArrayList<>();
            lastDecisionEpoch = -1;
        }
        registerMetrics();
    }

    private void registerMetrics() {
        getMetricGroup().gauge("epoch", () -> currentEpoch + 1);
        getMetricGroup().gauge("steps", () -> trainer.steps());
        getMetricGroup().gauge("examplesTrained", () -> totalExamples);
        getMetricGroup().gauge("learningRate", () -> trainer.optimizer().learningRate());
        getMetricGroup().gauge("trainLoss", () -> lastReport == null ? Double.NaN : lastReport.loss);
        getMetricGroup().gauge("recallAtK", () -> lastReport == null ? Double.NaN : lastReport.recall);
        getMetricGroup().gauge("bestRecallAtK", () -> progress.bestRecall());
        getMetricGroup().gauge("examplesPerSecond", () -> lastReport == null ? Double.NaN : lastReport.examplesPerSecond);
    }

    @Override
    public void processElement(StreamRecord<TrainingExample> element) throws Exception {
        TrainingExample example = element.getValue();
        if (stopped) {
            throw new IllegalStateException("an example of epoch " + (example.epoch + 1)
                    + " arrived after training stopped; the source should have read no more epochs");
        }
        if (example.epoch != currentEpoch) {
            throw new IllegalStateException("an example of epoch " + (example.epoch + 1) + " arrived during epoch "
                    + (currentEpoch + 1) + "; epochs must not overlap");
        }
        order.add(example, this::train);
    }

    private void train(TrainingExample example) {
        if (batch.isEmpty()) {
            batchStartNanos = System.nanoTime();
        }
        batch.add(example.user, example.positive, example.negatives, 0, example.history, example.history.length);
        examplesThisEpoch++;
        totalExamples++;
        if (batch.isFull()) {
            trainPendingBatch();
        }
    }

    private void trainPendingBatch() {
        lossSumThisEpoch += trainer.trainBatch(batch);
        batchesThisEpoch++;
        trainSecondsThisEpoch += (System.nanoTime() - batchStartNanos) / 1e9;
        batch.clear();
    }

    @Override
    public void processWatermark(Watermark mark) throws Exception {
        // Watermark e means every example of epoch e has arrived.
        while (!stopped && currentEpoch <= mark.getTimestamp() && currentEpoch < spec.config.epochs()) {
            finishEpoch();
        }
        super.processWatermark(mark);
    }

    @Override
    public void endInput() throws Exception {
        if (!stopped && currentEpoch < spec.config.epochs() && examplesThisEpoch > 0) {
            finishEpoch();
        }
        if (!finished) {
            writeResults();
            finished = true;
        }
    }

    private void finishEpoch() throws IOException {
        order.finishEpoch(currentEpoch);
        if (!batch.isEmpty()) {
            // The epoch's last, smaller batch, as the notebook's DataLoader yields it.
            trainPendingBatch();
        }
        int epoch = currentEpoch + 1;
        double avgLoss = batchesThisEpoch == 0 ? Double.NaN : lossSumThisEpoch / batchesThisEpoch;
        double speed = trainSecondsThisEpoch > 0 ? examplesThisEpoch / trainSecondsThisEpoch : 0;
        ObjectNode metrics = evaluate(trainer.model());
        metrics.put("epoch", epoch);
        epochMetrics.add(metrics.toString());
        // Early stopping and the scheduler follow the notebook's metric, Recall@K over all items, unless
        // exclude_history asks for the ranking a recommender serves (seen items filtered).
        double allItems = metrics.get("all_items").get("Recall@" + spec.config.evalTopK()).asDouble();
        double seenExcluded = metrics.get("exclude_history").get("Recall@" + spec.config.evalTopK()).asDouble();
        double recall = spec.config.excludeHistory() ? seenExcluded : allItems;
        double lr = trainer.optimizer().learningRate();
        TrainingProgress.EpochDecision decision = progress.endEpoch(avgLoss, recall, lr, spec.config.epochs());
        trainer.optimizer().setLearningRate(decision.learningRate);
        LOG.info(String.format("Epoch %d: Loss=%.4f, Recall@%d=%.4f (seen items excluded: %.4f), lr=%.3g, examples/s=%.0f,"
                        + " examples=%d, steps=%d%s", epoch, avgLoss, spec.config.evalTopK(), allItems, seenExcluded, lr,
                speed, examplesThisEpoch, trainer.steps(), decision.newBest ? " (best)" : ""));
        examplesPerEpoch.add(examplesThisEpoch);
        examplesPerSecond.add(speed);
        if (decision.newBest) {
            bestParameters = new NDList(trainer.model().parameters()).encode();
            publishSnapshot(trainer.model(), epoch, recall, avgLoss);
        }
        boolean earlyStop = progress.stoppedEarly(spec.config.epochs());
        if (earlyStop) {
            LOG.info("Early stopping after epoch {}: Recall@{} has not improved for {} epochs (best {} at epoch {})",
                    epoch, spec.config.evalTopK(), spec.config.patience(), progress.bestRecall(), progress.bestEpoch());
        }
        EpochReport report = new EpochReport();
        report.epoch = epoch;
        report.loss = avgLoss;
        report.recall = recall;
        report.learningRate = lr;
        report.examples = examplesThisEpoch;
        report.examplesPerSecond = speed;
        report.steps = trainer.steps();
        report.newBest = decision.newBest;
        report.stop = decision.stop;
        lastReport = report;
        output.collect(new StreamRecord<>(report));

        currentEpoch++;
        examplesThisEpoch = 0;
        lossSumThisEpoch = 0;
        batchesThisEpoch = 0;
        trainSecondsThisEpoch = 0;
        trainer.startEpoch();
        stopped = decision.stop;
        lastDecisionEpoch = epoch - 1;
        lastDecisionContinue = !decision.stop;
        sendDecision(lastDecisionEpoch, lastDecisionContinue);
    }

    /** Full-catalog metrics of {@code model} on the validation rows, over all items and with seen items excluded. */
    private ObjectNode evaluate(TwoTowerModel model) {
        int k = spec.config.evalTopK();
        ObjectNode out = JsonNodeFactory.instance.objectNode();
        out.putPOJO("all_items", RetrievalMetrics.evaluate(evaluator, model, validation.users(), validationHistories,
                validation.positives(), null, k));
        out.putPOJO("exclude_history", RetrievalMetrics.evaluate(evaluator, model, validation.users(),
                validationHistories, validation.positives(), validationHistories, k));
        return (ObjectNode) new com.fasterxml.jackson.databind.ObjectMapper().valueToTree(out);
    }

    /**
     * The same metrics for short histories: on the validation rows whose user had at most
     * {@link #SHORT_HISTORY} items before, and (history tower only) on every validation row with the
     * user known by their last {@link #SHORT_HISTORY} items alone, both as the tower's input and as the
     * seen items (a user new to the system; the id tower cannot be asked that question).
     */
    private ObjectNode evaluateShortHistories(TwoTowerModel model) {
        List<Integer> rows = new ArrayList<>();
        int[][] truncated = new int[validation.size()][];
        for (int r = 0; r < validation.size(); r++) {
            int[] h = validationHistories[r];
            if (h.length <= SHORT_HISTORY) {
                rows.add(r);
            }
            truncated[r] = java.util.Arrays.copyOfRange(h, Math.max(0, h.length - SHORT_HISTORY), h.length);
        }
        int[] users = new int[rows.size()];
        int[] positives = new int[rows.size()];
        int[][] histories = new int[rows.size()][];
        for (int i = 0; i < rows.size(); i++) {
            users[i] = validation.users()[rows.get(i)];
            positives[i] = validation.positives()[rows.get(i)];
            histories[i] = validationHistories[rows.get(i)];
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
        if (spec.config.historyTower()) {
            out.putPOJO("last_items_only_exclude_history", RetrievalMetrics.evaluate(evaluator, model,
                    validation.users(), truncated, validation.positives(), truncated, k));
        }
        return (ObjectNode) new com.fasterxml.jackson.databind.ObjectMapper().valueToTree(out);
    }

    private void sendDecision(int epoch, boolean continueTraining) {
        coordinator.sendEventToCoordinator(new EpochDecisionOperatorEvent(new EpochDecisionEvent(epoch, continueTraining)));
    }

    private void publishSnapshot(TwoTowerModel model, int epoch, double recall, double loss) throws IOException {
        Map<String, byte[]> files = EmbeddingExport.files(model, evaluator, latestHistories());
        DatasetLayout layout = new DatasetLayout(new Path(spec.dataDir));
        files.put(DatasetLayout.USER_MAP, SnapshotStore.read(layout.userMap()));
        files.put(DatasetLayout.ITEM_MAP, SnapshotStore.read(layout.itemMap()));
        ObjectNode fields = EmbeddingExport.manifestFields(model, spec.config, "train", trainer.steps());
        fields.put("epoch", epoch);
        fields.putObject("metrics").put("Recall@" + spec.config.evalTopK(), recall).put("train_loss", loss);
        snapshotSequence++;
        snapshots.publish(snapshotSequence, files, fields, true, spec.keepSnapshots);
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
        if (bestParameters != null) {
            // The notebook's section 8 reused the last epoch's item vectors; here both towers are the best model's.
            try (NDManager scope = root.newSubManager()) {
                TwoTowerModel best = TwoTowerModel.of(scope, spec.config, NDList.decode(scope, bestParameters));
                finalMetrics = evaluate(best);
                finalMetrics.set("short_history", evaluateShortHistories(best));
                finalRecall = finalMetrics.get(spec.config.excludeHistory() ? "exclude_history" : "all_items")
                        .get("Recall@" + spec.config.evalTopK()).asDouble();
            }
        }
        TrainingResults.write(spec, progress, finalRecall, finalMetrics, epochMetrics, examplesPerEpoch,
                examplesPerSecond, trainer.steps(), restoredAtSteps, snapshots, snapshotSequence);
        LOG.info("Best validation Recall@{}: {} (epoch {}); final Recall@{} of the restored best model: {}",
                spec.config.evalTopK(), progress.bestRecall(), progress.bestEpoch(), spec.config.evalTopK(), finalRecall);
        EpochReport report = new EpochReport();
        report.epoch = progress.epochsDone();
        report.recall = progress.bestRecall();
        report.finalRecall = finalRecall;
        report.steps = trainer.steps();
        report.examples = totalExamples;
        report.last = true;
        output.collect(new StreamRecord<>(report));
    }

    @Override
    public void snapshotState(StateSnapshotContext context) throws Exception {
        super.snapshotState(context);
        checkpointedState.update(List.of(encodeState()));
    }

    /**
     * Everything needed to resume exactly: the trainer (weights, AdamW moments, step, lr, accumulated
     * gradients), the schedule and early-stopping counters, the epoch's running figures, the last decision
     * sent to the source, the best weights so far, the pending partial batch and the examples that arrived
     * ahead of their turn.
     */
    private byte[] encodeState() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeInt(STATE_VERSION);
            writeBytes(out, TrainerStateCodec.encode(trainer));
            progress.write(out);
            out.writeInt(currentEpoch);
            out.writeBoolean(stopped);
            out.writeBoolean(finished);
            out.writeLong(examplesThisEpoch);
            out.writeDouble(lossSumThisEpoch);
            out.writeInt(batchesThisEpoch);
            out.writeDouble(trainSecondsThisEpoch);
            out.writeLong(totalExamples);
            out.writeInt(examplesPerEpoch.size());
            for (int i = 0; i < examplesPerEpoch.size(); i++) {
                out.writeLong(examplesPerEpoch.get(i));
                out.writeDouble(examplesPerSecond.get(i));
            }
            out.writeInt(lastDecisionEpoch);
            out.writeBoolean(lastDecisionContinue);
            out.writeLong(snapshotSequence);
            out.writeInt(restoredAtSteps.size());
            for (long step : restoredAtSteps) {
                out.writeLong(step);
            }
            out.writeInt(epochMetrics.size());
            for (String m : epochMetrics) {
                writeBytes(out, m.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            }
            writeBytes(out, bestParameters);
            out.writeInt(batch.size());
            int k = batch.kNeg();
            for (int i = 0; i < batch.size(); i++) {
                out.writeInt(batch.user(i));
                out.writeInt(batch.positive(i));
                for (int j = 0; j < k; j++) {
                    out.writeInt(batch.negatives()[i * k + j]);
                }
                int count = batch.historyCounts()[i];
                out.writeInt(count);
                for (int j = 0; j < count; j++) {
                    out.writeInt(batch.historyItems()[i * batch.historyLength() + j]);
                }
            }
            order.write(out);
        }
        return bytes.toByteArray();
    }

    private void restore(byte[] state) throws IOException {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(state))) {
            int version = in.readInt();
            // Version 1 (before the history tower) stored no history with the pending examples; version 2 no
            // order buffer (examples were trained in arrival order, so none waited).
            if (version < 1 || version > STATE_VERSION) {
                throw new IOException("unsupported trainer checkpoint version " + version + " (this build reads 1 to "
                        + STATE_VERSION + ")");
            }
            trainer = TrainerStateCodec.decode(readBytes(in), root.newSubManager(), spec.config);
            progress = TrainingProgress.read(in, spec.config);
            currentEpoch = in.readInt();
            stopped = in.readBoolean();
            finished = in.readBoolean();
            examplesThisEpoch = in.readLong();
            lossSumThisEpoch = in.readDouble();
            batchesThisEpoch = in.readInt();
            trainSecondsThisEpoch = in.readDouble();
            totalExamples = in.readLong();
            int epochs = in.readInt();
            examplesPerEpoch = new ArrayList<>();
            examplesPerSecond = new ArrayList<>();
            for (int i = 0; i < epochs; i++) {
                examplesPerEpoch.add(in.readLong());
                examplesPerSecond.add(in.readDouble());
            }
            lastDecisionEpoch = in.readInt();
            lastDecisionContinue = in.readBoolean();
            snapshotSequence = in.readLong();
            int restores = in.readInt();
            restoredAtSteps = new ArrayList<>();
            for (int i = 0; i < restores; i++) {
                restoredAtSteps.add(in.readLong());
            }
            int evaluated = in.readInt();
            epochMetrics = new ArrayList<>();
            for (int i = 0; i < evaluated; i++) {
                epochMetrics.add(new String(readBytes(in), java.nio.charset.StandardCharsets.UTF_8));
            }
            bestParameters = readBytes(in);
            int pending = in.readInt();
            int k = spec.config.kNeg();
            int[] negatives = new int[k];
            batchStartNanos = System.nanoTime();
            for (int i = 0; i < pending; i++) {
                int user = in.readInt();
                int positive = in.readInt();
                for (int j = 0; j < k; j++) {
                    negatives[j] = in.readInt();
                }
                int[] history = new int[version >= 2 ? in.readInt() : 0];
                for (int j = 0; j < history.length; j++) {
                    history[j] = in.readInt();
                }
                batch.add(user, positive, negatives, 0, history, history.length);
            }
            if (version >= 3) {
                order.read(in);
            } else {
                order.resumeAt(examplesThisEpoch);
            }
        }
    }

    private static void writeBytes(DataOutputStream out, byte[] bytes) throws IOException {
        out.writeInt(bytes == null ? -1 : bytes.length);
        if (bytes != null) {
            out.write(bytes);
        }
    }

    private static byte[] readBytes(DataInputStream in) throws IOException {
        int n = in.readInt();
        if (n < 0) {
            return null;
        }
        byte[] bytes = new byte[n];
        in.readFully(bytes);
        return bytes;
    }

    /** Examples trained so far, over all epochs (for tests and metrics). */
    long totalExamples() {
        return totalExamples;
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
