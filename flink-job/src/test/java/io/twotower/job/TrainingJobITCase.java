package io.twotower.job;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.twotower.connectors.snapshot.NpyFormat;
import io.twotower.connectors.snapshot.SnapshotStore;
import io.twotower.job.plot.PlotSamples;
import io.twotower.job.train.EpochReport;
import io.twotower.job.train.PreparedData;
import io.twotower.job.train.TrainingExample;
import io.twotower.job.train.TrainingJob;
import io.twotower.job.train.TrainingSpec;
import io.twotower.model.TwoTowerConfig;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.api.common.state.CheckpointListener;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.util.CloseableIterator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The train job end to end on a MiniCluster, on a small synthetic catalog with planted structure. */
class TrainingJobITCase {
    @RegisterExtension
    static final MiniClusterExtension CLUSTER = MiniClusters.withTrainerSlot();

    @TempDir
    static Path shared;
    static Path data;
    static final ObjectMapper JSON = new ObjectMapper();

    static final TwoTowerConfig SMALL = TwoTowerConfig.defaults().withValues(Map.of(
            "d_model", 32, "batch_size", 64, "k_neg", 10, "lr", 0.01, "epochs", 6, "patience", 6,
            "dropout", 0.1), "test");

    /** conf/twotower-history.yaml (history tower, mixed negatives with logQ) at the test's scale. */
    static TwoTowerConfig history() throws Exception {
        try (java.io.InputStream in = Files.newInputStream(Path.of("..", "conf", "twotower-history.yaml"))) {
            return TwoTowerConfig.fromYaml(in, "conf/twotower-history.yaml").withValues(Map.of(
                    "d_model", 32, "batch_size", 64, "k_neg", 2, "lr", 0.01, "epochs", 6, "patience", 6,
                    "dropout", 0.1, "history_length", 10), "test");
        }
    }

    /**
     * conf/twotower-large.yaml (sparse row-wise embedding updates) at the test's scale, with two micro-batches
     * per step so that checkpoints hold pending embedding rows, also across an epoch's odd last micro-batch.
     */
    static TwoTowerConfig large() throws Exception {
        try (java.io.InputStream in = Files.newInputStream(Path.of("..", "conf", "twotower-large.yaml"))) {
            return TwoTowerConfig.fromYaml(in, "conf/twotower-large.yaml").withValues(Map.of(
                    "d_model", 32, "batch_size", 100, "k_neg", 2, "lr", 0.01, "epochs", 6, "patience", 6,
                    "dropout", 0.1, "history_length", 10, "accum_steps", 2, "frequency_buckets", 4096), "test");
        }
    }

    @BeforeAll
    static void prepareData() throws Exception {
        data = PrepareJobITCase.prepareSynthetic(shared, 160, 200, 8, 25, 7);
    }

    static List<EpochReport> run(StreamExecutionEnvironment env, TrainingJob.Options options) throws Exception {
        List<EpochReport> reports = new ArrayList<>();
        try (CloseableIterator<EpochReport> it = TrainingJob.build(env, options).executeAndCollect("train")) {
            it.forEachRemaining(reports::add);
        }
        return reports;
    }

    static TrainingJob.Options options(TwoTowerConfig config, Path out) {
        TrainingJob.Options options = new TrainingJob.Options();
        options.dataDir = data.toString();
        options.outputDir = out.toString();
        options.config = config;
        options.runId = "test-run";
        return options;
    }

    @Test
    void trainsBeyondPopularityAndWritesLoadableSnapshotsAndResults(@TempDir Path out) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(2);
        List<EpochReport> reports = run(env, options(SMALL, out));

        JsonNode results = JSON.readTree(Files.readAllBytes(out.resolve("twotower_results.json")));
        for (String key : List.of("model_config", "training", "best_recall", "final_recall", "baseline_best_recall")) {
            assertThat(results.has(key)).as(key).isTrue();
        }
        assertThat(results.get("training").get("train_losses")).hasSize(6);
        assertThat(results.get("training").get("val_recalls")).hasSize(6);
        assertThat(results.get("model_config").get("d_model").asInt()).isEqualTo(32);
        double baseline = results.get("baseline_best_recall").asDouble();
        double best = results.get("best_recall").asDouble();
        assertThat(best).as("best Recall@10 vs popularity %s", baseline).isGreaterThan(baseline);
        // final_recall re-evaluates the restored best model with both of its towers: the same numbers.
        assertThat(results.get("final_recall").asDouble()).isEqualTo(best);
        long rows = PreparedData.validate(data.toString()).trainRows;
        for (JsonNode n : results.get("training").get("examples_per_epoch")) {
            assertThat(n.asLong()).isEqualTo(rows);
        }
        assertThat(reports.get(reports.size() - 1).last).isTrue();
        JsonNode epochMetrics = results.get("training").get("metrics");
        assertThat(epochMetrics).hasSize(6);
        for (JsonNode m : epochMetrics) {
            assertThat(m.get("learning_rate").asDouble()).as("learning rate of the epoch").isPositive()
                    .isLessThanOrEqualTo(SMALL.lr());
            for (String way : List.of("all_items", "exclude_history")) {
                for (String metric : List.of("Recall@10", "Recall@50", "Recall@100", "NDCG@10", "MRR", "Coverage@10")) {
                    assertThat(m.get(way).get(metric).asDouble()).as("%s %s", way, metric).isBetween(0.0, 1.0);
                }
                assertThat(m.get(way).get("Recall@100").asDouble()).isGreaterThanOrEqualTo(m.get(way).get("Recall@10").asDouble());
            }
        }
        assertThat(results.get("final_metrics").get("all_items").get("Recall@10").asDouble()).isEqualTo(best);
        // The curves are drawn from these results (TrainingPlotTest checks what they show).
        assertThat(PlotSamples.decodePng(Files.readAllBytes(out.resolve("training_curves.png"))).getWidth())
                .isEqualTo(1440);
        assertThat(PlotSamples.parseSvg(Files.readAllBytes(out.resolve("training_curves.svg")))
                .getElementsByTagName("desc").item(0).getTextContent())
                .contains("best epoch " + results.get("best_epoch").asInt(), "Learning rate");

        SnapshotStore store = new SnapshotStore(new org.apache.flink.core.fs.Path(out.toString()), "test-run");
        Long latest = store.latestSequence();
        assertThat(latest).isNotNull();
        assertThat(store.verify(latest)).isEmpty();
        JsonNode manifest = store.manifest(latest);
        assertThat(manifest.get("epoch").asInt()).isEqualTo(results.get("best_epoch").asInt());
        Path snapshot = Path.of(store.snapshotDir(latest).getPath());
        byte[] users = Files.readAllBytes(snapshot.resolve("user_embeddings.npy"));
        byte[] items = Files.readAllBytes(snapshot.resolve("item_embeddings.npy"));
        assertThat(NpyFormat.shape(users)).containsExactly(160, 32);
        assertThat(NpyFormat.shape(items)).containsExactly(200, 32);
        float[] first = NpyFormat.values(items);
        double norm = 0;
        for (int j = 0; j < 32; j++) {
            norm += first[j] * first[j];
        }
        assertThat(norm).as("item vectors are L2-normalised").isBetween(0.999, 1.001);
    }

    /**
     * With a test split, validation alone selects the epoch, and test_metrics (final_metrics' structure) is the
     * selected model's ranking of the test rows: recomputed here from the best snapshot's vectors. Histories are cut
     * to 10 items of 25, so "seen items excluded" must exclude every training and validation item of the user, not
     * only the held-out row's history.
     */
    @Test
    void testSplitGivesTestMetricsOfTheSelectedModel(@TempDir Path dir) throws Exception {
        Path prepared = PrepareJobITCase.prepareSyntheticWithTest(dir, 160, 200, 8, 25, 7, 10);
        Path out = dir.resolve("train");
        TrainingJob.Options options = options(SMALL.withValues(Map.of("epochs", 4), "test"), out);
        options.dataDir = prepared.toString();
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(2);
        run(env, options);

        JsonNode results = JSON.readTree(Files.readAllBytes(out.resolve("twotower_results.json")));
        JsonNode test = results.get("test_metrics");
        JsonNode fin = results.get("final_metrics");
        assertThat(test).as("test_metrics").isNotNull();
        java.util.List<String> keys = new ArrayList<>();
        fin.fieldNames().forEachRemaining(keys::add);
        java.util.List<String> testKeys = new ArrayList<>();
        test.fieldNames().forEachRemaining(testKeys::add);
        assertThat(testKeys).isEqualTo(keys);
        // The best epoch is the best validation epoch (the first of equals), and final_metrics is validation's.
        JsonNode recalls = results.get("training").get("val_recalls");
        int argmax = 0;
        for (int e = 1; e < recalls.size(); e++) {
            argmax = recalls.get(e).asDouble() > recalls.get(argmax).asDouble() ? e : argmax;
        }
        assertThat(results.get("best_epoch").asInt()).isEqualTo(argmax + 1);
        assertThat(fin.get("all_items").get("Recall@10").asDouble()).isEqualTo(results.get("best_recall").asDouble());

        SnapshotStore store = new SnapshotStore(new org.apache.flink.core.fs.Path(out.toString()), "test-run");
        Long latest = store.latestSequence();
        assertThat(store.manifest(latest).get("epoch").asInt()).isEqualTo(argmax + 1);
        Path snapshot = Path.of(store.snapshotDir(latest).getPath());
        float[] users = NpyFormat.values(Files.readAllBytes(snapshot.resolve("user_embeddings.npy")));
        float[] items = NpyFormat.values(Files.readAllBytes(snapshot.resolve("item_embeddings.npy")));
        io.twotower.connectors.dataset.Sequences rows = io.twotower.connectors.dataset.SequenceFiles.read(
                new io.twotower.connectors.dataset.DatasetLayout(new org.apache.flink.core.fs.Path(prepared.toString()))
                        .test(), 160, 200);
        assertThat(rows.size()).isEqualTo(160);
        io.twotower.connectors.dataset.DatasetLayout layout = new io.twotower.connectors.dataset.DatasetLayout(
                new org.apache.flink.core.fs.Path(prepared.toString()));
        java.util.Map<Integer, java.util.Set<Integer>> seenByUser = new java.util.HashMap<>();
        for (org.apache.flink.core.fs.Path file : List.of(layout.train(), layout.validation())) {
            io.twotower.connectors.dataset.Sequences s = io.twotower.connectors.dataset.SequenceFiles.read(file, 160, 200);
            for (int r = 0; r < s.size(); r++) {
                java.util.Set<Integer> seen = seenByUser.computeIfAbsent(s.user(r), u -> new java.util.HashSet<>());
                seen.add(s.positive(r));
                for (int i : s.history(r)) {
                    seen.add(i);
                }
            }
        }
        int seenBeyondHistory = 0;
        for (int r = 0; r < rows.size(); r++) {
            java.util.Set<Integer> history = new java.util.HashSet<>(
                    java.util.Arrays.stream(rows.history(r)).boxed().toList());
            assertThat(rows.history(r)).as("the test row's history, cut to --max-history").hasSize(10);
            assertThat(seenByUser.get(rows.user(r))).as("seen items of test row %d", r).containsAll(history);
            seenBeyondHistory += seenByUser.get(rows.user(r)).size() > history.size() ? 1 : 0;
        }
        assertThat(seenBeyondHistory).as("rows whose user saw items before the history").isGreaterThan(100);
        for (boolean exclude : new boolean[] {false, true}) {
            int hits = 0;
            for (int r = 0; r < rows.size(); r++) {
                java.util.Set<Integer> seen = exclude ? seenByUser.get(rows.user(r)) : java.util.Set.of();
                double positive = dot(users, rows.user(r), items, rows.positive(r), 32);
                int above = 0;
                for (int i = 0; i < 200; i++) {
                    if (i != rows.positive(r) && !seen.contains(i) && dot(users, rows.user(r), items, i, 32) > positive) {
                        above++;
                    }
                }
                hits += above < 10 ? 1 : 0;
            }
            String way = exclude ? "exclude_history" : "all_items";
            // float32 on the native side against doubles here: a near-tie at rank 10 may fall either way.
            assertThat(test.get(way).get("Recall@10").asDouble()).as(way)
                    .isCloseTo((double) hits / rows.size(), within(2.0 / rows.size()));
        }
        JsonNode baselines = JSON.readTree(Files.readAllBytes(prepared.resolve("baseline_results.json")));
        assertThat(baselines.get("test_interactions").get("most_popular_excluding_history").get("Recall@10").asDouble())
                .isBetween(0.0, 1.0);
    }

    private static double dot(float[] a, int rowA, float[] b, int rowB, int d) {
        double s = 0;
        for (int j = 0; j < d; j++) {
            s += (double) a[rowA * d + j] * b[rowB * d + j];
        }
        return s;
    }

    @Test
    void historyConfigurationTrainsBeyondPopularityWithItsUserTowerInTheSnapshot(@TempDir Path out) throws Exception {
        TwoTowerConfig config = history();
        assertThat(config.historyTower()).isTrue();
        assertThat(config.excludeHistory()).isTrue();
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(2);
        run(env, options(config, out));

        JsonNode results = JSON.readTree(Files.readAllBytes(out.resolve("twotower_results.json")));
        assertThat(results.get("model_config").get("negatives").asText()).isEqualTo("mixed");
        // Selection follows the seen-items-excluded ranking, as exclude_history asks.
        double best = results.get("best_recall").asDouble();
        assertThat(results.get("final_metrics").get("exclude_history").get("Recall@10").asDouble()).isEqualTo(best);
        double baseline = results.get("baseline_best_recall").asDouble();
        assertThat(best).as("best Recall@10 (seen items excluded) vs popularity %s", baseline).isGreaterThan(baseline);
        JsonNode shortHistory = results.get("final_metrics").get("short_history");
        assertThat(shortHistory.get("max_history").asInt()).isEqualTo(5);
        assertThat(shortHistory.get("rows").asInt()).isBetween(0, 160);
        if (shortHistory.get("rows").asInt() > 0) {
            assertThat(shortHistory.get("exclude_history").get("Recall@10").asDouble()).isBetween(0.0, 1.0);
        }

        SnapshotStore store = new SnapshotStore(new org.apache.flink.core.fs.Path(out.toString()), "test-run");
        Long latest = store.latestSequence();
        assertThat(store.verify(latest)).isEmpty();
        JsonNode tower = store.manifest(latest).get("user_tower");
        assertThat(tower.get("file").asText()).isEqualTo("user_tower.npz");
        assertThat(tower.get("history_length").asInt()).isEqualTo(10);
        assertThat(Files.size(Path.of(store.snapshotDir(latest).getPath()).resolve("user_tower.npz")))
                .as("item table 200 x 32 floats and more").isGreaterThan(200 * 32 * 4);
    }

    @Test
    void earlyStoppingReadsNoFurtherEpochs(@TempDir Path out) throws Exception {
        // A learning rate of ~0 keeps Recall@10 flat, so patience 2 stops after epoch 3 of 20.
        TwoTowerConfig flat = SMALL.withValues(Map.of("lr", 1e-12, "epochs", 20, "patience", 2), "test");
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(2);
        run(env, options(flat, out));
        JsonNode results = JSON.readTree(Files.readAllBytes(out.resolve("twotower_results.json")));
        int epochs = results.get("epochs_run").asInt();
        assertThat(results.get("stopped_early").asBoolean()).isTrue();
        assertThat(epochs).isLessThanOrEqualTo(3);
        // The trainer saw exactly the epochs it trained: the source read no epoch beyond the stop.
        long rows = PreparedData.validate(data.toString()).trainRows;
        assertThat(results.get("training").get("examples_per_epoch")).hasSize(epochs);
        long total = 0;
        for (JsonNode n : results.get("training").get("examples_per_epoch")) {
            total += n.asLong();
        }
        assertThat(total).isEqualTo(epochs * rows);
    }

    @Test
    void failoverResumesFromTheCheckpointAndTrainsEveryExampleExactlyOnce(@TempDir Path dir) throws Exception {
        failoverResumesExactly(SMALL.withValues(Map.of("epochs", 3), "test"), dir);
    }

    /** The same with the quality options: the pending batch's histories and the logQ estimator are checkpointed too. */
    @Test
    void qualityFailoverResumesExactly(@TempDir Path dir) throws Exception {
        failoverResumesExactly(history().withValues(Map.of("epochs", 3), "test"), dir);
    }

    /** Sparse embedding updates: the row optimizer's state and the pending rows are checkpointed too. */
    @Test
    void sparseEmbeddingFailoverResumesExactly(@TempDir Path dir) throws Exception {
        TwoTowerConfig config = large().withValues(Map.of("epochs", 3), "test");
        assertThat(config.sparseEmbeddings()).isTrue();
        long microBatches = (PreparedData.validate(data.toString()).trainRows + config.batchSize() - 1) / config.batchSize();
        assertThat(microBatches % 2).as("an odd last micro-batch carries into the next epoch").isEqualTo(1);
        failoverResumesExactly(config, dir);
    }

    /**
     * The tables as keyed rows on RocksDB with incremental checkpoints (--table-state keyed): the failing run
     * restores them from keyed state and still repeats the reference run (raw operator state) bit for bit.
     */
    @Test
    void keyedTablesOnRocksDbFailoverResumesExactly(@TempDir Path dir) throws Exception {
        failoverResumesExactly(large().withValues(Map.of("epochs", 3), "test"), dir, 1000, true);
    }

    /**
     * conf/twotower-quality.yaml (the sequence tower, every position, full softmax) at the test's scale, with each
     * user's latest window only (the shipped file trains every window; the tests that want that set it).
     */
    static TwoTowerConfig sequence() throws Exception {
        try (java.io.InputStream in = Files.newInputStream(Path.of("..", "conf", "twotower-quality.yaml"))) {
            return TwoTowerConfig.fromYaml(in, "conf/twotower-quality.yaml").withValues(Map.of(
                    "d_model", 16, "batch_size", 16, "lr", 0.01, "epochs", 4, "patience", 6, "dropout", 0.1,
                    "history_length", 6, "sequence_heads", 2, "sequence_windows_per_user", 1), "test");
        }
    }

    /**
     * The sequence tower trains every position once per epoch (the source's windows), learns (the loss falls), and
     * publishes its encoder in the snapshot for readers.
     */
    @Test
    void sequenceConfigurationTrainsEveryPositionAndPublishesItsEncoder(@TempDir Path out) throws Exception {
        TwoTowerConfig config = sequence();
        assertThat(config.everyPosition()).isTrue();
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(2);
        run(env, options(config, out));

        PreparedData prepared = PreparedData.validate(data.toString());
        long windows = io.twotower.connectors.source.SequenceWindows.count(prepared.trainFiles, prepared.numUsers,
                prepared.numItems, config.historyLength(), config.sequenceWindowsPerUser());
        assertThat(windows).as("one window per user with two rows or more").isEqualTo(prepared.numUsers);
        JsonNode results = JSON.readTree(Files.readAllBytes(out.resolve("twotower_results.json")));
        for (JsonNode n : results.get("training").get("examples_per_epoch")) {
            assertThat(n.asLong()).isEqualTo(windows);
        }
        JsonNode losses = results.get("training").get("train_losses");
        assertThat(losses).hasSize(4);
        assertThat(losses.get(3).asDouble()).as("the every-position loss falls").isLessThan(losses.get(0).asDouble());
        double best = results.get("best_recall").asDouble();
        assertThat(best).isBetween(0.0, 1.0);
        assertThat(results.get("final_recall").asDouble()).as("the best model restored from its snapshot")
                .isEqualTo(best);

        SnapshotStore store = new SnapshotStore(new org.apache.flink.core.fs.Path(out.toString()), "test-run");
        Long latest = store.latestSequence();
        assertThat(store.verify(latest)).isEmpty();
        JsonNode tower = store.manifest(latest).get("user_tower");
        assertThat(tower.get("kind").asText()).isEqualTo("sequence");
        assertThat(tower.get("blocks").asInt()).isEqualTo(2);
        assertThat(tower.get("item_vectors").asText()).isEqualTo("embedding");
        assertThat(tower.get("normalize_user_vector").asBoolean()).isFalse();
    }

    /** The sequence tower's every-position training resumes exactly after a failure, as the other models do. */
    @Test
    void sequenceFailoverResumesExactly(@TempDir Path dir) throws Exception {
        // One window per user: 160 examples an epoch, about 80 through each of the two injectors.
        failoverResumesExactly(sequence().withValues(Map.of("epochs", 3), "test"), dir, 60);
    }

    /** With every window of every user (every training position once an epoch) as well. */
    @Test
    void sequenceEveryWindowFailoverResumesExactly(@TempDir Path dir) throws Exception {
        // 640 windows an epoch, about 320 through each injector: fail early enough to leave most of the run.
        failoverResumesExactly(sequence().withValues(Map.of("epochs", 2, "sequence_windows_per_user", 0), "test"),
                dir, 150);
    }

    /**
     * The compact layout (`prepare --layout user-sequences`, 2 parts): streamed through a shuffle buffer smaller than
     * a part, at parallelism 2 with an injected failure, the run repeats an uninterrupted one bit for bit.
     */
    @Test
    void compactLayoutFailoverResumesExactly(@TempDir Path dir) throws Exception {
        Path compact = PrepareJobITCase.prepareSyntheticCompact(dir, 160, 200, 8, 25, 7, 2);
        PreparedData prepared = PreparedData.validate(compact.toString());
        assertThat(prepared.manifest).isNotNull();
        assertThat(prepared.trainFiles).hasSize(2);
        PreparedData notebook = PreparedData.validate(data.toString());
        assertThat(prepared.trainRows).as("the same log, the same rows").isEqualTo(notebook.trainRows);
        failoverResumesExactly(SMALL.withValues(Map.of("epochs", 3, "shuffle_buffer", 300), "test"), compact, dir, 1000,
                false);
    }

    /**
     * Two readers of the compact layout's parts (readers: 2), each a share of the parts, numbered as one epoch and
     * held within a read-ahead of 64 rows of the trainer: at parallelism 2 with an injected failure, the run repeats
     * an uninterrupted one at parallelism 1 bit for bit (the order depends on the readers, not the parallelism).
     */
    @Test
    void parallelReadersFailoverResumesExactly(@TempDir Path dir) throws Exception {
        Path compact = PrepareJobITCase.prepareSyntheticCompact(dir, 160, 200, 8, 25, 7, 2);
        TwoTowerConfig config = SMALL.withValues(Map.of("epochs", 3, "shuffle_buffer", 300, "readers", 2,
                "read_ahead", 64), "test");
        assertThat(TrainingJob.readers(config, PreparedData.validate(compact.toString()))).isEqualTo(2);
        failoverResumesExactly(config, compact, dir, 1000, false);
    }

    /** Every-position training of the sequence tower reads the compact layout's windows like the notebook's. */
    @Test
    void compactLayoutSequenceWindowsResumeExactly(@TempDir Path dir) throws Exception {
        Path compact = PrepareJobITCase.prepareSyntheticCompact(dir, 160, 200, 8, 25, 7, 2);
        TwoTowerConfig config = sequence().withValues(Map.of("epochs", 2, "sequence_windows_per_user", 0,
                "shuffle_buffer", 100), "test");
        PreparedData prepared = PreparedData.validate(compact.toString());
        PreparedData notebook = PreparedData.validate(data.toString());
        assertThat(prepared.trainingLayout(100).rowsPerEpoch(prepared.trainFiles, prepared.numUsers,
                prepared.numItems, config.historyLength(), 0))
                .isEqualTo(io.twotower.connectors.source.SequenceWindows.count(notebook.trainFiles, notebook.numUsers,
                        notebook.numItems, config.historyLength(), 0));
        failoverResumesExactly(config, compact, dir, 150, false);
    }

    private static void failoverResumesExactly(TwoTowerConfig config, Path dir) throws Exception {
        failoverResumesExactly(config, dir, 1000);
    }

    private static void failoverResumesExactly(TwoTowerConfig config, Path dir, long failAfter) throws Exception {
        failoverResumesExactly(config, dir, failAfter, false);
    }

    /**
     * An uninterrupted run, then one at parallelism 2 with a failure injected after a completed checkpoint; with
     * {@code keyedTablesOnRocksDb} the failing run keeps its tables as keyed rows on RocksDB with incremental
     * checkpoints (the reference run does not, so the two layouts must also train identically).
     */
    static void failoverResumesExactly(TwoTowerConfig config, Path dir, long failAfter, boolean keyedTablesOnRocksDb)
            throws Exception {
        failoverResumesExactly(config, data, dir, failAfter, keyedTablesOnRocksDb);
    }

    /** As above, on the prepared data in {@code dataDir}. */
    static void failoverResumesExactly(TwoTowerConfig config, Path dataDir, Path dir, long failAfter,
            boolean keyedTablesOnRocksDb) throws Exception {
        // A clean run at parallelism 1 is the reference; the failing run at 2 must repeat it bit for bit.
        Path clean = dir.resolve("clean");
        StreamExecutionEnvironment cleanEnv = StreamExecutionEnvironment.getExecutionEnvironment();
        cleanEnv.setParallelism(1);
        TrainingJob.Options cleanOptions = options(config, clean);
        cleanOptions.dataDir = dataDir.toString();
        run(cleanEnv, cleanOptions);

        Path failed = dir.resolve("failed");
        Configuration conf = new Configuration();
        conf.setString("restart-strategy.type", "fixed-delay");
        conf.setString("restart-strategy.fixed-delay.attempts", "2");
        conf.setString("restart-strategy.fixed-delay.delay", "100 ms");
        conf.setString("execution.checkpointing.interval", "300 ms");
        conf.setString("execution.checkpointing.dir", dir.resolve("checkpoints").toUri().toString());
        if (keyedTablesOnRocksDb) {
            conf.setString("state.backend.type", "rocksdb");
            conf.setString("execution.checkpointing.incremental", "true");
        }
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        env.setParallelism(2);
        TrainingJob.Options options = options(config, failed);
        options.dataDir = dataDir.toString();
        PreparedData prepared = PreparedData.validate(options.dataDir);
        long perEpoch = config.everyPosition() ? prepared.trainingLayout(config.shuffleBuffer()).rowsPerEpoch(
                prepared.trainFiles, prepared.numUsers, prepared.numItems, config.historyLength(),
                config.sequenceWindowsPerUser()) : prepared.trainRows;
        TrainingSpec spec = new TrainingSpec(config, options.dataDir, options.outputDir, options.runId,
                prepared.numUsers, prepared.numItems, perEpoch, 5, keyedTablesOnRocksDb);
        DataStream<TrainingExample> examples = TrainingJob.examples(env, spec, prepared, "listen-failover")
                .map(new FailOnceAfterCheckpoint(failAfter)).name("inject failure");
        try (CloseableIterator<EpochReport> it = TrainingJob.train(examples, spec, "listen-failover")
                .executeAndCollect("train with failure")) {
            it.forEachRemaining(r -> { });
        }

        JsonNode results = JSON.readTree(Files.readAllBytes(failed.resolve("twotower_results.json")));
        JsonNode reference = JSON.readTree(Files.readAllBytes(clean.resolve("twotower_results.json")));
        assertThat(results.get("table_state").asText()).isEqualTo(keyedTablesOnRocksDb ? "keyed" : "operator");
        assertThat(results.get("restored_at_steps")).as("the job restarted").hasSize(1);
        assertThat(results.get("restored_at_steps").get(0).asLong()).as("resumed from a checkpointed step").isPositive();
        for (JsonNode n : results.get("training").get("examples_per_epoch")) {
            assertThat(n.asLong()).isEqualTo(perEpoch);
        }
        assertThat(results.get("optimizer_steps")).isEqualTo(reference.get("optimizer_steps"));
        // Resuming exactly: the same losses, recalls and snapshot bytes as a run that never failed.
        assertThat(results.get("training").get("train_losses")).isEqualTo(reference.get("training").get("train_losses"));
        assertThat(results.get("training").get("val_recalls")).isEqualTo(reference.get("training").get("val_recalls"));
        assertThat(snapshotChecksums(failed, "test-run")).isNotEmpty().isEqualTo(snapshotChecksums(clean, "test-run"));
    }

    /** SHA-256 of every file of every snapshot of run {@code runId} under {@code out}, by sequence and name, from the manifests. */
    static Map<String, String> snapshotChecksums(Path out, String runId) throws Exception {
        SnapshotStore store = new SnapshotStore(new org.apache.flink.core.fs.Path(out.toString()), runId);
        Map<String, String> sums = new java.util.TreeMap<>();
        for (long sequence : store.sequences()) {
            for (JsonNode f : store.manifest(sequence).get("files")) {
                sums.put(sequence + "/" + f.get("name").asText(), f.get("sha256").asText());
            }
        }
        return sums;
    }

    /** Passes examples through, and fails the first attempt once a checkpoint has completed after N examples. */
    static final class FailOnceAfterCheckpoint extends RichMapFunction<TrainingExample, TrainingExample>
            implements CheckpointListener {
        private final long after;
        private transient long seen;
        private transient boolean checkpointed;

        FailOnceAfterCheckpoint(long after) {
            this.after = after;
        }

        @Override
        public void open(OpenContext openContext) {
            seen = 0;
        }

        @Override
        public TrainingExample map(TrainingExample value) throws InterruptedException {
            seen++;
            boolean firstAttempt = getRuntimeContext().getTaskInfo().getAttemptNumber() == 0;
            if (checkpointed && seen > after && firstAttempt) {
                throw new IllegalStateException("injected failure after a completed checkpoint");
            }
            if (seen > after && firstAttempt) {
                // Slow down until a checkpoint completes, so a fast configuration cannot finish the job first
                // (the notification arrives between records, on this same task thread, so blocking here would
                // hold it back): 20 ms a record, so even a few hundred records left give seconds for one 300 ms
                // checkpoint on a loaded machine (at 5 ms, a small every-window epoch once ran out first and the
                // failure never fired).
                Thread.sleep(20);
            }
            return value;
        }

        @Override
        public void notifyCheckpointComplete(long checkpointId) {
            if (seen > after) {
                checkpointed = true;
            }
        }
    }
}
