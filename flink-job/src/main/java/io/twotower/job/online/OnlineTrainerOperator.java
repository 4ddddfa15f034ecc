package io.twotower.job.online;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.twotower.common.SplitMix64;
import io.twotower.connectors.dataset.DatasetLayout;
import io.twotower.connectors.kafka.DeadLetter;
import io.twotower.connectors.snapshot.SnapshotStore;
import io.twotower.job.plot.JobPlots;
import io.twotower.job.train.DeviceSelector;
import io.twotower.job.train.EmbeddingExport;
import io.twotower.job.train.SnapshotParameters;
import io.twotower.job.trainer.CheckpointStats;
import io.twotower.job.trainer.TrainerCheckpoint;
import io.twotower.job.trainer.TrainerTables;
import io.twotower.job.trainer.NativeHeapTrim;
import io.twotower.job.trainer.ProgressMeter;
import io.twotower.job.trainer.TrainerMetrics;
import io.twotower.model.RetrievalEvaluator;
import io.twotower.model.TrainerStateCodec;
import io.twotower.model.TrainerThreads;
import io.twotower.model.TrainingBatch;
import io.twotower.model.TwoTowerConfig;
import io.twotower.model.TwoTowerModel;
import io.twotower.model.TwoTowerTrainer;
import io.twotower.model.UniformNegativeSampler;
import org.apache.flink.core.fs.FSDataOutputStream;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.Path;
import org.apache.flink.runtime.state.StateInitializationContext;
import org.apache.flink.runtime.state.StateSnapshotContext;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.BoundedMultiInput;
import org.apache.flink.streaming.api.operators.TwoInputStreamOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;


import static io.twotower.job.trainer.StateStreams.readBytes;
import static io.twotower.job.trainer.StateStreams.readInts;
import static io.twotower.job.trainer.StateStreams.writeInts;
/**
 * The online trainer (parallelism 1): maps raw ids to dense indices (growing the embedding tables for new
 * ones), scores every event against the full catalog before training on it (prequential), trains in
 * mini-batches, and closes event-time windows: a log line, metrics, a line in windows.jsonl and a
 * snapshot (LATEST moves only when the window is no regression). Input 2 counts dead letters.
 */
public final class OnlineTrainerOperator extends AbstractStreamOperator<WindowReport>
        implements TwoInputStreamOperator<OnlineExample, DeadLetter, WindowReport>, BoundedMultiInput {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(OnlineTrainerOperator.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** 4: the window lines as a bounded WindowLog, the count of restores. */
    static final int STATE_VERSION = 4;
    public static final String WINDOWS_FILE = "windows.jsonl";
    static final String RESULTS_FILE = "online_results.json";

    private final OnlineSpec spec;

    /** Whether initializeState restored the trainer from a checkpoint. */
    private transient boolean restored;
    private transient CheckpointStats checkpoints;

    private transient Device device;
    private transient NDManager root;
    private transient TwoTowerTrainer trainer;
    private transient Vocabulary users;
    private transient Vocabulary items;
    private transient UniformNegativeSampler sampler;
    private transient RetrievalEvaluator evaluator;
    private transient SnapshotStore snapshots;
    private transient JobPlots.OnlineCurves curves;
    private transient List<Pending> pending;
    /** Open windows, window lines, totals and remembered histories (checkpointed). */
    private transient OnlineRun run;
    private transient int endedInputs;
    private transient TrainerMetrics metrics;
    private transient ProgressMeter progressMeter;
    /** Where the checkpoints keep the embedding tables (--table-state). */
    private transient TrainerTables tables;
    /** Gives malloc's freed memory back to the OS once a minute: RSS stays flat over weeks (NativeHeapTrim). */
    private transient NativeHeapTrim heapTrim;
    private transient SnapshotCadence cadence;
    private transient RegressionGuard regressionGuard;
    /** The NDArrays open under the trainer's manager at the last progress line: a leak shows as growth. */
    private transient volatile int openArrays;

    /** One event waiting for its mini-batch. */
    private static final class Pending {
        int user;
        int item;
        int[] history;
        long timestamp;
        long arrivalMs;
    }

    public OnlineTrainerOperator(OnlineSpec spec) {
        this.spec = spec;
    }

    @Override
    public void initializeState(StateInitializationContext context) throws Exception {
        super.initializeState(context);
        // The device and the restore are here, not in open(): the checkpoint's raw state is readable only now.
        device = DeviceSelector.select(spec.config.device(), getRuntimeContext().getExternalResourceInfos("gpu"));
        root = NDManager.newBaseManager(device);
        pending = new ArrayList<>();
        checkpoints = new CheckpointStats();
        tables = TrainerTables.open(spec.keyedTables, context, this);
        long start = System.nanoTime();
        restored = TrainerCheckpoint.restore(context, "online-trainer", this::restore);
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
        evaluator = new RetrievalEvaluator(config.evalBlockSize());
        snapshots = new SnapshotStore(new Path(spec.outputDir), spec.runId);
        curves = new JobPlots.OnlineCurves(new Path(spec.outputDir), config.evalTopK());
        cadence = new SnapshotCadence(spec);
        regressionGuard = new RegressionGuard(spec);
        if (restored) {
            run.restored(run.totals.events);
            if (run.legacyWindowLines != null) {
                run.windowLog = WindowLog.migrate(run.legacyWindowLines, new Path(spec.outputDir), spec.windowsPerFile);
                run.legacyWindowLines = null;
            }
            LOG.info("Restored online trainer after {} events ({} users, {} items)", run.totals.events, users.size(),
                    items.size());
        } else {
            run = new OnlineRun();
            if (spec.initFrom != null) {
                warmStart(SnapshotFiles.resolve(spec.initFrom));
            } else {
                users = new Vocabulary();
                items = new Vocabulary();
            }
        }
        sampler = new UniformNegativeSampler(Math.max(1, items.size()));
        LOG.info("Online trainer on {} ({} intra-op threads): window {} ms, snapshot every {} windows, {} users and {}"
                + " items known", device, TrainerThreads.apply(config), spec.windowMillis, spec.snapshotEveryWindows,
                users.size(), items.size());
        getMetricGroup().gauge("eventsTrained", () -> run.totals.trained);
        getMetricGroup().gauge("users", () -> users.size());
        getMetricGroup().gauge("items", () -> items.size());
        getMetricGroup().gauge("windows", () -> run.totals.windows);
        getMetricGroup().gauge("bestWindowRecallAtK", () -> run.totals.bestRecall);
        getMetricGroup().gauge("deadLettered", () -> run.totals.deadLettered);
        getMetricGroup().gauge("openNDArrays", () -> openArrays);
        metrics = TrainerMetrics.register(getMetricGroup());
        progressMeter = new ProgressMeter(ProgressMeter.DEFAULT_INTERVAL_NANOS, "events");
        heapTrim = new NativeHeapTrim(NativeHeapTrim.DEFAULT_INTERVAL_NANOS);
        progressMeter.restart(System.nanoTime(), run.totals.events);
    }

    private void warmStart(Path snapshot) throws IOException {
        JsonNode manifest = JSON.readTree(SnapshotStore.read(new Path(snapshot, SnapshotStore.MANIFEST)));
        int dim = manifest.path("dimension").asInt(-1);
        if (dim != spec.config.dModel()) {
            throw new IllegalArgumentException("--init-from " + snapshot + " has dimension " + dim
                    + " but configuration key 'd_model' is " + spec.config.dModel());
        }
        users = Vocabulary.of(SnapshotFiles.users(snapshot));
        items = Vocabulary.of(SnapshotFiles.items(snapshot));
        // The weights stream in chunk by chunk into libtorch memory (a table of any size, no copy on the heap).
        TwoTowerModel model = SnapshotParameters.read(snapshot, root.newSubManager(), spec.config);
        if (model.numUsers() != users.size() || model.numItems() != items.size()) {
            throw new IOException("--init-from " + snapshot + ": the weights (" + model.numUsers() + " users, "
                    + model.numItems() + " items) do not match the id maps (" + users.size() + ", " + items.size() + ")");
        }
        trainer = TwoTowerTrainer.create(spec.config, model);
        tables.created(trainer);
        LOG.info("Warm start from {}: {} users, {} items", snapshot, users.size(), items.size());
    }

    @Override
    public void processElement1(StreamRecord<OnlineExample> element) throws Exception {
        OnlineExample e = element.getValue();
        if (run.totals.events == 0) {
            LOG.info("First event: user {} item {} at {}", e.user, e.item, Instant.ofEpochMilli(e.timestamp));
        }
        run.totals.events++;
        long timestamp = e.timestamp;
        if (timestamp < run.totals.closedUntil) {
            // Behind the watermark: its window is closed, so it counts in the first open one.
            run.totals.late++;
            timestamp = run.totals.closedUntil;
        }
        OnlineRun.WindowStats w = window(timestamp);
        int userBefore = users.size();
        int itemBefore = items.size();
        Pending p = new Pending();
        p.user = users.add(e.user);
        p.item = items.add(e.item);
        if (users.size() > userBefore) {
            w.newUsers++;
            run.totals.newUsers++;
        }
        if (items.size() > itemBefore) {
            w.newItems++;
            run.totals.newItems++;
        }
        int[] history = new int[e.history.length];
        int n = 0;
        for (String h : e.history) {
            int idx = items.indexOf(h);
            if (idx >= 0) {
                history[n++] = idx;
            }
        }
        p.history = n == history.length ? history : java.util.Arrays.copyOf(history, n);
        p.timestamp = timestamp;
        p.arrivalMs = System.currentTimeMillis();
        w.firstArrivalMs = Math.min(w.firstArrivalMs, p.arrivalMs);
        w.lastArrivalMs = Math.max(w.lastArrivalMs, p.arrivalMs);
        pending.add(p);
        if (pending.size() >= spec.config.batchSize()) {
            trainPending();
        }
    }

    @Override
    public void processElement2(StreamRecord<DeadLetter> element) {
        run.totals.deadLettered++;
    }

    private OnlineRun.WindowStats window(long timestamp) {
        long start = timestamp - Math.floorMod(timestamp, spec.windowMillis);
        OnlineRun.WindowStats w = run.open.get(start);
        if (w == null) {
            w = new OnlineRun.WindowStats();
            w.start = start;
            run.open.put(start, w);
        }
        return w;
    }

    /** Test, then train: every pending event is ranked by the current model, then the batch trains it. */
    private void trainPending() {
        if (pending.isEmpty()) {
            return;
        }
        TwoTowerConfig config = spec.config;
        if (trainer == null) {
            trainer = TwoTowerTrainer.create(config, TwoTowerModel.initialise(root.newSubManager(), config,
                    users.size(), items.size()));
            tables.created(trainer);
        } else {
            trainer.growVocabulary(users.size(), items.size());
        }
        sampler.setNumItems(items.size());
        int n = pending.size();
        int[] u = new int[n];
        int[] pos = new int[n];
        for (int i = 0; i < n; i++) {
            u[i] = pending.get(i).user;
            pos[i] = pending.get(i).item;
        }
        int[][] histories = new int[n][];
        for (int i = 0; i < n; i++) {
            histories[i] = pending.get(i).history;
        }
        // Ranked both ways in one pass: over all items, and without the user's earlier items; at large catalogs
        // only a share of the batches (PrequentialShare).
        boolean ranked = PrequentialShare.ranks(run.totals.batches++,
                PrequentialShare.resolve(spec.rankShare, items.size()));
        int[][] ranks = ranked ? evaluator.ranksBothWays(trainer.model(), u, histories, pos, histories) : null;
        TrainingBatch batch = new TrainingBatch(n, config.kNeg(), config.historyLength());
        int[] negatives = new int[config.kNeg()];
        List<OnlineRun.WindowStats> trainedWindows = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            Pending p = pending.get(i);
            rememberHistory(p);
            OnlineRun.WindowStats w = window(p.timestamp);
            w.events++;
            if (ranked) {
                w.ranked++;
                run.totals.ranked++;
                if (ranks[0][i] < config.evalTopK()) {
                    w.hits++;
                    run.totals.hits++;
                }
                if (ranks[1][i] < config.evalTopK()) {
                    w.hitsExcludeHistory++;
                    run.totals.hitsExcludeHistory++;
                }
            }
            if (sampler.allowed(p.item, p.history, p.history.length) <= 0) {
                // Nothing in the catalog can be a negative yet (e.g. the very first events of a cold start).
                w.skipped++;
                run.totals.skipped++;
                continue;
            }
            SplitMix64 rng = new SplitMix64(SplitMix64.mix(config.seed(), 0x0411L, run.totals.trained + run.totals.skipped));
            sampler.sample(p.item, p.history, p.history.length, config.kNeg(), rng, negatives, 0);
            batch.add(p.user, p.item, negatives, 0, p.history, p.history.length);
            trainedWindows.add(w);
        }
        if (!batch.isEmpty()) {
            long stepStart = System.nanoTime();
            float loss = trainer.trainBatch(batch);
            metrics.stepped(System.nanoTime() - stepStart, batch.size());
            for (OnlineRun.WindowStats w : trainedWindows) {
                w.trained++;
                w.lossSum += loss;
            }
            run.totals.trained += batch.size();
        }
        pending.clear();
        // Windows can be long (a day of events): say how far the stream has got between their reports.
        long now = System.nanoTime();
        heapTrim.maybeTrim(now);
        String line = progressMeter.line(now, run.totals.events, 0);
        if (line != null) {
            // Counted on the trainer's thread (the managers are not meant to be walked while a step runs).
            openArrays = root.getManagedArrays().size();
            LOG.info("{} so far ({} trained, {} dead-lettered), {} users, {} items, {} open NDArrays, open windows"
                    + " from {}", line, run.totals.trained, run.totals.deadLettered, users.size(), items.size(),
                    openArrays, run.open.isEmpty() ? "-" : Instant.ofEpochMilli(run.open.firstKey()));
        }
    }

    /** The user's history after event {@code p}, cut to the history tower's window (seed mode keeps none). */
    private void rememberHistory(Pending p) {
        int length = spec.config.historyLength();
        if (length == 0) {
            return;
        }
        int keep = Math.min(length - 1, p.history.length);
        int[] after = Arrays.copyOfRange(p.history, p.history.length - keep, p.history.length + 1);
        after[keep] = p.item;
        run.latestHistories.put(p.user, after);
    }

    private int[][] latestHistoryArray() {
        if (spec.config.historyLength() == 0) {
            return null;
        }
        int[][] out = new int[users.size()][];
        for (Map.Entry<Integer, int[]> e : run.latestHistories.entrySet()) {
            out[e.getKey()] = e.getValue();
        }
        return out;
    }

    /**
     * Windows close on Flink's watermark of input 1 (the minimum over all Kafka partitions, so a partition
     * that is read ahead cannot close a window early). Dead letters have no event time: input 2's watermark
     * is ignored instead of holding back the combined one.
     */
    @Override
    public void processWatermark1(Watermark mark) throws Exception {
        closeWindowsUpTo(mark.getTimestamp(), false);
        output.emitWatermark(mark);
    }

    @Override
    public void processWatermark2(Watermark mark) {}

    /** Closes the windows the watermark has passed; {@code endOfInput}: the bounded run's last ones. */
    private void closeWindowsUpTo(long watermark, boolean endOfInput) throws IOException {
        if (!run.open.isEmpty() && run.open.firstKey() + spec.windowMillis <= watermark) {
            // Pending events may belong to a window that closes now.
            trainPending();
            while (!run.open.isEmpty() && run.open.firstKey() + spec.windowMillis <= watermark) {
                OnlineRun.WindowStats w = run.open.pollFirstEntry().getValue();
                run.totals.closedUntil = Math.max(run.totals.closedUntil, w.start + spec.windowMillis);
                closeWindow(w, endOfInput && run.open.isEmpty());
            }
        }
    }

    private void closeWindow(OnlineRun.WindowStats w, boolean lastOfBoundedRun) throws IOException {
        WindowReport r = new WindowReport();
        r.windowStart = w.start;
        r.windowEnd = w.start + spec.windowMillis;
        r.events = w.events;
        r.ranked = w.ranked;
        r.hits = w.hits;
        r.recall = w.ranked == 0 ? 0 : (double) w.hits / w.ranked;
        r.hitsExcludeHistory = w.hitsExcludeHistory;
        r.recallExcludeHistory = w.ranked == 0 ? 0 : (double) w.hitsExcludeHistory / w.ranked;
        r.trained = w.trained;
        r.newUsers = w.newUsers;
        r.newItems = w.newItems;
        r.loss = w.trained == 0 ? Double.NaN : w.lossSum / w.trained;
        r.learningRate = trainer == null ? spec.config.lr() : trainer.optimizer().learningRate();
        // The recall that decides follows exclude_history, as the train job's selection does.
        double recall = spec.config.excludeHistory() ? r.recallExcludeHistory : r.recall;
        RegressionGuard.Verdict verdict = regressionGuard.judge(run.totals, recall, w.ranked);
        r.regression = verdict == RegressionGuard.Verdict.REGRESSION;
        if (verdict == RegressionGuard.Verdict.REBASELINED) {
            LOG.warn(String.format("Window %s: Recall@%d %.4f after %d regressions in a row: taken as the new level"
                    + " (the data or the catalog changed, or the model did: check), LATEST moves on",
                    Instant.ofEpochMilli(r.windowStart), spec.config.evalTopK(), recall, spec.regressionPatience));
        }
        if (w.ranked > 0) {
            run.totals.bestRecall = Math.max(run.totals.bestRecall, recall);
        }
        run.totals.windows++;
        if (trainer != null && cadence.due(run.totals, r.windowEnd, lastOfBoundedRun)) {
            run.totals.snapshotSequence++;
            publish(r, !r.regression);
            SnapshotCadence.published(run.totals, r.windowEnd);
            r.snapshotSequence = run.totals.snapshotSequence;
            long now = System.currentTimeMillis();
            r.snapshotLatencyMaxMs = w.firstArrivalMs == Long.MAX_VALUE ? 0 : now - w.firstArrivalMs;
            r.snapshotLatencyMinMs = w.lastArrivalMs == 0 ? 0 : now - w.lastArrivalMs;
        }
        LOG.info(String.format("Window %s: events=%d, Recall@%d=%.4f (seen items excluded: %.4f), trained=%d, "
                        + "new users=%d, new items=%d, loss=%.4f, lr=%.3g%s", Instant.ofEpochMilli(r.windowStart),
                r.events, spec.config.evalTopK(), r.recall, r.recallExcludeHistory, r.trained, r.newUsers, r.newItems, r.loss, r.learningRate,
                r.regression ? " REGRESSION: LATEST stays on the previous snapshot" : ""));
        run.windowLog.append(new Path(spec.outputDir), JSON.writeValueAsString(r), spec.windowsPerFile);
        curves.windowClosed(run.windowLog.recentLines());
        output.collect(new StreamRecord<>(r));
    }

    private void publish(WindowReport r, boolean makeLatest) throws IOException {
        TwoTowerModel model = trainer.model();
        Map<String, SnapshotStore.FileWriter> files = EmbeddingExport.files(model, evaluator, latestHistoryArray());
        files.put(DatasetLayout.USER_MAP, SnapshotStore.FileWriter.of(SnapshotFiles.idMap(DatasetLayout.USER_ID_COLUMN,
                DatasetLayout.USER_IDX_COLUMN, users.ids())));
        files.put(DatasetLayout.ITEM_MAP, SnapshotStore.FileWriter.of(SnapshotFiles.idMap(DatasetLayout.ITEM_ID_COLUMN,
                DatasetLayout.ITEM_IDX_COLUMN, items.ids())));
        ObjectNode fields = EmbeddingExport.manifestFields(model, spec.config, "online", trainer.steps());
        fields.put("window", Instant.ofEpochMilli(r.windowStart).toString());
        fields.put("events_trained", run.totals.trained);
        fields.putObject("metrics").put("Recall@" + spec.config.evalTopK(), r.recall)
                .put("Recall@" + spec.config.evalTopK() + "_exclude_history", r.recallExcludeHistory)
                .put("train_loss", r.loss);
        snapshots.publishStreaming(run.totals.snapshotSequence, files, fields, makeLatest, spec.keepSnapshots);
        if (makeLatest) {
            run.totals.latestSequence = run.totals.snapshotSequence;
        }
    }

    @Override
    public void endInput(int inputId) throws Exception {
        endedInputs |= 1 << (inputId - 1);
        if (endedInputs != 3) {
            return;
        }
        closeWindowsUpTo(Long.MAX_VALUE, true);
        ObjectNode results = JSON.createObjectNode();
        results.put("events_read", run.totals.events + run.totals.deadLettered);
        results.put("events", run.totals.events);
        results.put("trained", run.totals.trained);
        results.put("skipped_no_negatives", run.totals.skipped);
        results.put("dead_lettered", run.totals.deadLettered);
        results.put("new_users", run.totals.newUsers);
        results.put("new_items", run.totals.newItems);
        results.put("users", users.size());
        results.put("items", items.size());
        results.put("windows", run.totals.windows);
        results.put("late_events", run.totals.late);
        results.put("ranked_events", run.totals.ranked);
        if (spec.rankShare >= 0) {
            results.put("rank_share", spec.rankShare);
        } else {
            results.put("rank_share", "auto");
        }
        results.put("prequential_recall", run.totals.ranked == 0 ? 0 : (double) run.totals.hits / run.totals.ranked);
        results.put("prequential_recall_exclude_history",
                run.totals.ranked == 0 ? 0 : (double) run.totals.hitsExcludeHistory / run.totals.ranked);
        results.put("best_window_recall", Math.max(0, run.totals.bestRecall));
        results.put("optimizer_steps", trainer == null ? 0 : trainer.steps());
        results.put("restores", run.totals.restores);
        results.putPOJO("restored_at_events", run.totals.restoredAtEvents);
        results.put("windows_files", run.totals.windows == 0 ? 0 : run.windowLog.rolled + 1);
        if (run.totals.latestSequence > 0) {
            results.put("latest_snapshot", snapshots.snapshotDir(run.totals.latestSequence).toString());
        }
        checkpoints.addTo(results);
        results.put("table_state", spec.keyedTables ? "keyed" : "operator");
        results.putPOJO("model_config", spec.config.asMap());
        writeFile(new Path(spec.outputDir, RESULTS_FILE), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(results));
        curves.finished(run.windowLog.recentLines());
        LOG.info("Online run done: {}", results);
    }

    private static void writeFile(Path path, String text) throws IOException {
        try (FSDataOutputStream out = path.getFileSystem().create(path, FileSystem.WriteMode.OVERWRITE)) {
            out.write(text.getBytes(StandardCharsets.UTF_8));
        }
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

    /** The trainer (streamed in bounded chunks), both vocabularies, the pending events, the run, the counts. */
    private void writeState(DataOutputStream out) throws IOException {
        out.writeInt(STATE_VERSION);
        out.writeBoolean(trainer != null);
        if (trainer != null) {
            tables.writeTrainer(trainer, out);
        }
        users.write(out);
        items.write(out);
        out.writeInt(pending.size());
        for (Pending p : pending) {
            out.writeInt(p.user);
            out.writeInt(p.item);
            out.writeLong(p.timestamp);
            out.writeLong(p.arrivalMs);
            writeInts(out, p.history);
        }
        run.write(out);
        checkpoints.write(out);
    }

    private void restore(DataInputStream in) throws IOException {
        {
            int version = in.readInt();
            // Version 1 (before the history tower) lacks the remembered histories and the accepted recall, 1 and 2
            // the publication cadence and ranked counts and held the trainer as one byte array, 1 to 3 kept every
            // window line (OnlineRun.read).
            if (version < 1 || version > STATE_VERSION) {
                throw new IOException("unsupported online trainer checkpoint version " + version + " (this build reads 1"
                        + " to " + STATE_VERSION + ")");
            }
            if (in.readBoolean()) {
                trainer = version >= 3
                        ? TrainerStateCodec.read(in, root.newSubManager(), spec.config)
                        : TrainerStateCodec.decode(readBytes(in), root.newSubManager(), spec.config);
            }
            users = Vocabulary.read(in);
            items = Vocabulary.read(in);
            int n = in.readInt();
            for (int i = 0; i < n; i++) {
                Pending p = new Pending();
                p.user = in.readInt();
                p.item = in.readInt();
                p.timestamp = in.readLong();
                p.arrivalMs = in.readLong();
                p.history = readInts(in);
                pending.add(p);
            }
            run = OnlineRun.read(in, version, pending.size());
            if (version >= 3) {
                checkpoints = CheckpointStats.read(in);
            }
        }
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
