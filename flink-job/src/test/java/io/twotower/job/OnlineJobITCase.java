package io.twotower.job;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.twotower.connectors.kafka.EventFormat;
import io.twotower.connectors.kafka.InteractionEvent;
import io.twotower.connectors.dataset.DatasetLayout;
import io.twotower.connectors.dataset.IdMapFile;
import io.twotower.connectors.snapshot.NpyFormat;
import io.twotower.connectors.snapshot.SnapshotStore;
import ai.djl.ndarray.NDManager;
import io.twotower.model.TwoTowerModel;
import io.twotower.job.online.OnlineJob;
import io.twotower.job.plot.PlotSamples;
import io.twotower.job.online.WindowReport;
import io.twotower.job.train.SnapshotParameters;
import io.twotower.job.train.TrainingJob;
import io.twotower.model.TwoTowerConfig;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.util.CloseableIterator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The online job against the real Kafka broker, fed with a slice of the bundled MovieLens log. */
class OnlineJobITCase {
    @RegisterExtension
    static final MiniClusterExtension CLUSTER = MiniClusters.withTrainerSlot();

    static final ObjectMapper JSON = new ObjectMapper();
    static final TwoTowerConfig SMALL = TwoTowerConfig.defaults().withValues(Map.of(
            "d_model", 32, "batch_size", 128, "k_neg", 10, "lr", 0.005, "epochs", 1, "dropout", 0.1), "test");
    static final List<String> MALFORMED = List.of(
            "this is not json",
            "{\"user_id\": \"1\", \"timestamp\": 1000}",
            "{\"user_id\": \"1\", \"item_id\": \"5\", \"timestamp\": \"yesterday\"}");

    /** MovieLens interactions in time order, as replay publishes them. */
    static List<InteractionEvent> log;

    @BeforeAll
    static void readLog() throws Exception {
        List<String> lines = Files.readAllLines(PrepareJobITCase.MOVIELENS);
        log = new ArrayList<>();
        for (String line : lines.subList(1, lines.size())) {
            String[] c = line.split(",");
            log.add(new InteractionEvent(c[0], c[1], Long.parseLong(c[3]) * 1000));
        }
        log.sort((a, b) -> Long.compare(a.timestamp, b.timestamp));
    }

    static List<String> json(List<InteractionEvent> events) {
        EventFormat format = EventFormat.defaults();
        return events.stream().map(e -> new String(format.encode(e), StandardCharsets.UTF_8)).collect(Collectors.toList());
    }

    static OnlineJob.Options options(String topic, Path out, String runId) {
        OnlineJob.Options o = new OnlineJob.Options();
        o.bootstrapServers = KafkaTestSupport.bootstrap();
        o.topic = topic;
        o.groupId = "it-" + runId;
        o.untilLatest = true;
        o.spec.config = SMALL;
        o.spec.outputDir = out.toString();
        o.spec.runId = runId;
        o.spec.windowMillis = Duration.ofDays(365).toMillis();
        o.spec.keepSnapshots = 100;
        o.idleTimeout = Duration.ofSeconds(2);
        return o;
    }

    static JsonNode runBounded(OnlineJob.Options o) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(2);
        try (CloseableIterator<WindowReport> it = OnlineJob.build(env, o).executeAndCollect("online")) {
            it.forEachRemaining(r -> { });
        }
        return JSON.readTree(Files.readAllBytes(Path.of(o.spec.outputDir, "online_results.json")));
    }

    @Test
    void trainsEveryGoodEventOnceAndDeadLettersTheRest(@TempDir Path out) throws Exception {
        String topic = KafkaTestSupport.newTopic("events");
        List<InteractionEvent> slice = log.subList(0, 3000);
        List<String> records = new ArrayList<>(json(slice.subList(0, 1500)));
        records.addAll(MALFORMED);
        records.addAll(json(slice.subList(1500, 3000)));
        KafkaTestSupport.send(topic, records);

        JsonNode results = runBounded(options(topic, out, "it-online"));
        assertThat(results.get("events").asLong()).isEqualTo(3000);
        assertThat(results.get("dead_lettered").asLong()).isEqualTo(3);
        assertThat(results.get("prequential_recall_exclude_history").asDouble())
                .isGreaterThan(results.get("prequential_recall").asDouble());
        assertThat(results.get("events_read").asLong()).isEqualTo(3003);
        // Every good event is trained exactly once, unless no negative existed yet (first events of a cold start).
        assertThat(results.get("trained").asLong() + results.get("skipped_no_negatives").asLong()).isEqualTo(3000);
        assertThat(results.get("skipped_no_negatives").asLong()).isLessThan(5);
        Set<String> users = slice.stream().map(e -> e.user).collect(Collectors.toSet());
        Set<String> items = slice.stream().map(e -> e.item).collect(Collectors.toSet());
        assertThat(results.get("new_users").asLong()).isEqualTo(users.size());
        assertThat(results.get("new_items").asLong()).isEqualTo(items.size());

        List<String> dead = KafkaTestSupport.readAll(topic + ".dlq", 3);
        assertThat(dead).hasSize(3);
        assertThat(dead).anySatisfy(d -> assertThat(d).contains("not JSON").contains("this is not json"));
        assertThat(dead).anySatisfy(d -> assertThat(d).contains("'item_id' is missing"));
        assertThat(dead).anySatisfy(d -> assertThat(d).contains("'timestamp' must be"));

        List<String> windows = Files.readAllLines(out.resolve("windows.jsonl"));
        assertThat(windows).hasSize(results.get("windows").asInt()).isNotEmpty();
        long windowEvents = 0;
        for (String line : windows) {
            JsonNode w = JSON.readTree(line);
            assertThat(w.get("recall").asDouble()).isBetween(0.0, 1.0);
            // Seen-item filtering can only lift a positive: never fewer hits than over all items.
            assertThat(w.get("hitsExcludeHistory").asLong()).isGreaterThanOrEqualTo(w.get("hits").asLong());
            windowEvents += w.get("events").asLong();
        }
        assertThat(windowEvents).isEqualTo(3000);
        // Redrawn when the input ended: every window is in the curves.
        assertThat(PlotSamples.parseSvg(Files.readAllBytes(out.resolve("online_curves.svg")))
                .getElementsByTagName("title").item(0).getTextContent())
                .startsWith("online: " + windows.size() + " windows of 365 d");
        assertThat(PlotSamples.decodePng(Files.readAllBytes(out.resolve("online_curves.png"))).getWidth())
                .isEqualTo(1440);
        SnapshotStore store = new SnapshotStore(new org.apache.flink.core.fs.Path(out.toString()), "it-online");
        assertThat(store.sequences()).hasSize(windows.size());
        for (long s : store.sequences()) {
            assertThat(store.verify(s)).isEmpty();
        }
        assertThat(store.latestSequence()).isNotNull();
        // The last snapshot covers the whole vocabulary seen.
        JsonNode manifest = store.manifest(store.sequences().get(store.sequences().size() - 1));
        assertThat(manifest.get("num_users").asInt()).isEqualTo(users.size());
        assertThat(manifest.get("num_items").asInt()).isEqualTo(items.size());
    }

    /**
     * Daily windows over ~2 months of events, publishing at most every 10 days of event time and ranking every
     * other batch: the snapshots follow the cadence (the last window publishes what was trained since), every
     * event is still trained once, and Recall@K is over the ranked events only.
     */
    @Test
    void publishesAtTheCadenceAndRanksTheRequestedShare(@TempDir Path out) throws Exception {
        String topic = KafkaTestSupport.newTopic("cadence");
        List<InteractionEvent> slice = log.subList(0, 3000);
        KafkaTestSupport.send(topic, json(slice));
        OnlineJob.Options o = options(topic, out, "it-cadence");
        o.spec.windowMillis = Duration.ofDays(1).toMillis();
        o.spec.snapshotMinIntervalMillis = Duration.ofDays(10).toMillis();
        o.spec.rankShare = 0.5;

        JsonNode results = runBounded(o);
        assertThat(results.get("trained").asLong() + results.get("skipped_no_negatives").asLong()).isEqualTo(3000);
        List<JsonNode> windows = new ArrayList<>();
        for (String line : Files.readAllLines(out.resolve("windows.jsonl"))) {
            windows.add(JSON.readTree(line));
        }
        long ranked = 0;
        long hits = 0;
        long lastPublished = Long.MIN_VALUE;
        List<Long> published = new ArrayList<>();
        for (JsonNode w : windows) {
            ranked += w.get("ranked").asLong();
            hits += w.get("hits").asLong();
            assertThat(w.get("ranked").asLong()).isLessThanOrEqualTo(w.get("events").asLong());
            if (w.get("snapshotSequence").asLong() > 0) {
                long end = w.get("windowEnd").asLong();
                boolean last = w == windows.get(windows.size() - 1);
                assertThat(lastPublished == Long.MIN_VALUE || last || end - lastPublished >= o.spec.snapshotMinIntervalMillis)
                        .as("window ending %d published %d ms after the previous publication", end, end - lastPublished)
                        .isTrue();
                lastPublished = end;
                published.add(w.get("snapshotSequence").asLong());
            }
        }
        assertThat(windows.size()).isGreaterThan(20);
        long span = windows.get(windows.size() - 1).get("windowEnd").asLong() - windows.get(0).get("windowEnd").asLong();
        // At most one per 10 days of event time (plus the first and the last), far fewer than the windows.
        assertThat(published.size()).isBetween(2, (int) (span / o.spec.snapshotMinIntervalMillis) + 2)
                .isLessThan(windows.size() / 2);
        assertThat(windows.get(windows.size() - 1).get("snapshotSequence").asLong()).isPositive();
        // Every other batch of 128: about half the events, never all of them.
        assertThat(results.get("ranked_events").asLong()).isEqualTo(ranked).isBetween(1000L, 2000L);
        assertThat(results.get("prequential_recall").asDouble()).isCloseTo((double) hits / ranked, within(1e-12));
        SnapshotStore store = new SnapshotStore(new org.apache.flink.core.fs.Path(out.toString()), "it-cadence");
        assertThat(store.sequences()).hasSize(published.size());
    }

    /**
     * The online job with the quality options (history tower over the keyed-state history, mixed negatives
     * with logQ): every event trained once, and the snapshot's user vectors are the model applied to each
     * user's latest items, so a history that changed since training is reflected.
     */
    @Test
    void historyTowerSnapshotsFollowEachUsersLatestItems(@TempDir Path out) throws Exception {
        String topic = KafkaTestSupport.newTopic("history");
        List<InteractionEvent> slice = log.subList(0, 3000);
        // One partition per user, so each user's events keep their log order (as a producer keyed by user does).
        KafkaTestSupport.send(topic, json(slice), (i, partitions) -> Math.floorMod(slice.get(i).user.hashCode(), partitions));
        OnlineJob.Options o = options(topic, out, "it-history");
        TwoTowerConfig config = SMALL.withValues(Map.of("model", "history", "history_length", 8,
                "history_pooling", "recency", "negatives", "mixed", "k_neg", 2), "test");
        o.spec.config = config;
        // Monthly windows with no tolerance, every window judged and no re-baselining, so that the regression rule
        // (RegressionGuard: a drop beyond two standard errors) has windows to decide on.
        o.spec.windowMillis = Duration.ofDays(30).toMillis();
        o.spec.regressionTolerance = 0.0;
        o.spec.regressionMinEvents = 0;
        o.spec.regressionPatience = 1000;
        JsonNode results = runBounded(o);
        assertThat(results.get("trained").asLong() + results.get("skipped_no_negatives").asLong()).isEqualTo(3000);

        SnapshotStore store = new SnapshotStore(new org.apache.flink.core.fs.Path(out.toString()), "it-history");
        // A window regresses when its Recall@10 falls below the last accepted window's by more than two standard
        // errors; LATEST is the last accepted.
        List<String> windows = Files.readAllLines(out.resolve("windows.jsonl"));
        assertThat(windows.size()).as("monthly windows over the first 3000 events").isGreaterThan(1);
        double accepted = -1;
        long lastAccepted = -1;
        for (String line : windows) {
            JsonNode w = JSON.readTree(line);
            double recall = w.get("recall").asDouble();
            double noise = accepted < 0 ? 0 : 2 * Math.sqrt(accepted * (1 - accepted) / w.get("ranked").asLong());
            assertThat(w.get("regression").asBoolean()).as(line).isEqualTo(accepted >= 0 && recall < accepted - noise);
            if (!w.get("regression").asBoolean()) {
                accepted = recall;
                lastAccepted = w.get("snapshotSequence").asLong();
            }
        }
        assertThat(store.latestSequence()).isEqualTo(lastAccepted);
        long last = store.sequences().get(store.sequences().size() - 1);
        assertThat(store.verify(last)).isEmpty();
        JsonNode manifest = store.manifest(last);
        assertThat(manifest.get("user_tower").get("history_length").asInt()).isEqualTo(8);
        assertUserVectorsFollowLatestItems(store, last, slice, config, 8);
    }

    /**
     * The sequence tower from Kafka: each event trains the encoder's last position over its history from keyed
     * state, every event once, and the snapshots' user vectors are the encoder's over each user's latest items.
     */
    @Test
    void sequenceTowerTrainsOnlineAndSnapshotsFollowEachUsersLatestItems(@TempDir Path out) throws Exception {
        String topic = KafkaTestSupport.newTopic("sequence");
        List<InteractionEvent> slice = log.subList(0, 2000);
        KafkaTestSupport.send(topic, json(slice), (i, partitions) -> Math.floorMod(slice.get(i).user.hashCode(), partitions));
        OnlineJob.Options o = options(topic, out, "it-sequence");
        TwoTowerConfig config = SMALL.withValues(Map.of("model", "sequence", "history_length", 8,
                "sequence_heads", 2, "negatives", "full"), "test");
        o.spec.config = config;
        JsonNode results = runBounded(o);
        assertThat(results.get("trained").asLong() + results.get("skipped_no_negatives").asLong()).isEqualTo(2000);
        assertThat(results.get("trained").asLong()).isPositive();
        SnapshotStore store = new SnapshotStore(new org.apache.flink.core.fs.Path(out.toString()), "it-sequence");
        long last = store.sequences().get(store.sequences().size() - 1);
        assertThat(store.verify(last)).isEmpty();
        assertThat(store.manifest(last).get("user_tower").get("kind").asText()).isEqualTo("sequence");
        assertUserVectorsFollowLatestItems(store, last, slice, config, 8);
    }

    /** Snapshot {@code last}'s user vectors are the model's own over each user's last {@code length} items of {@code slice}. */
    private static void assertUserVectorsFollowLatestItems(SnapshotStore store, long last, List<InteractionEvent> slice,
            TwoTowerConfig config, int length) throws Exception {
        Path folder = Path.of(store.snapshotDir(last).getPath());
        String[] users = IdMapFile.read(new org.apache.flink.core.fs.Path(folder.resolve(DatasetLayout.USER_MAP).toUri()),
                DatasetLayout.USER_ID_COLUMN, DatasetLayout.USER_IDX_COLUMN);
        String[] items = IdMapFile.read(new org.apache.flink.core.fs.Path(folder.resolve(DatasetLayout.ITEM_MAP).toUri()),
                DatasetLayout.ITEM_ID_COLUMN, DatasetLayout.ITEM_IDX_COLUMN);
        Map<String, Integer> itemIndex = new java.util.HashMap<>();
        for (int i = 0; i < items.length; i++) {
            itemIndex.put(items[i], i);
        }
        // Each user's last `length` items in event-time order (ties keep log order, as the keyed history does).
        int[][] latest = new int[users.length][];
        for (int u = 0; u < users.length; u++) {
            String id = users[u];
            List<InteractionEvent> mine = slice.stream().filter(e -> e.user.equals(id)).collect(Collectors.toList());
            latest[u] = mine.subList(Math.max(0, mine.size() - length), mine.size()).stream()
                    .mapToInt(e -> itemIndex.get(e.item)).toArray();
        }
        float[] exported = NpyFormat.values(Files.readAllBytes(folder.resolve("user_embeddings.npy")));
        try (NDManager manager = NDManager.newBaseManager()) {
            TwoTowerModel model = SnapshotParameters.read(store.snapshotDir(last), manager.newSubManager(), config);
            int[] all = java.util.stream.IntStream.range(0, users.length).toArray();
            float[] expected = model.userVectors(manager, all, latest, 0, users.length).toFloatArray();
            assertThat(exported).hasSameSizeAs(expected);
            for (int i = 0; i < expected.length; i++) {
                assertThat(exported[i]).as("user vector element %d", i).isCloseTo(expected[i], within(1e-5f));
            }
        }
    }

    /**
     * A sparse embedding optimizer from a cold start: the tables and the row-wise Adagrad state grow with
     * almost every mini-batch (an index past the state's rows would fail the job), every event is trained
     * once, and the last snapshot covers the whole vocabulary.
     */
    @Test
    void sparseEmbeddingOptimizerGrowsWithTheVocabulary(@TempDir Path out) throws Exception {
        String topic = KafkaTestSupport.newTopic("sparse");
        List<InteractionEvent> slice = log.subList(0, 2000);
        KafkaTestSupport.send(topic, json(slice), (i, partitions) -> Math.floorMod(slice.get(i).user.hashCode(), partitions));
        OnlineJob.Options o = options(topic, out, "it-sparse");
        o.spec.config = SMALL.withValues(Map.of("model", "history", "history_length", 8, "negatives", "mixed",
                "k_neg", 2, "embedding_optimizer", "rowwise_adagrad", "embedding_lr", 0.05), "test");
        JsonNode results = runBounded(o);
        assertThat(results.get("trained").asLong() + results.get("skipped_no_negatives").asLong()).isEqualTo(2000);
        Set<String> users = slice.stream().map(e -> e.user).collect(Collectors.toSet());
        Set<String> items = slice.stream().map(e -> e.item).collect(Collectors.toSet());
        assertThat(results.get("new_users").asLong()).isEqualTo(users.size());
        assertThat(results.get("new_items").asLong()).isEqualTo(items.size());
        SnapshotStore store = new SnapshotStore(new org.apache.flink.core.fs.Path(out.toString()), "it-sparse");
        long last = store.sequences().get(store.sequences().size() - 1);
        assertThat(store.verify(last)).isEmpty();
        JsonNode manifest = store.manifest(last);
        assertThat(manifest.get("num_items").asInt()).isEqualTo(items.size());
        assertThat(manifest.get("config").get("embedding_optimizer").asText()).isEqualTo("rowwise_adagrad");
        float[] itemVectors = NpyFormat.values(Files.readAllBytes(
                Path.of(store.snapshotDir(last).getPath()).resolve("item_embeddings.npy")));
        assertThat(itemVectors).hasSize(items.size() * SMALL.dModel());
        for (float x : itemVectors) {
            assertThat(Float.isFinite(x)).isTrue();
        }
    }

    @Test
    void warmStartsFromATrainSnapshotAndGrowsTheVocabularyByTheNewIds(@TempDir Path dir) throws Exception {
        // Batch model on the first 3000 interactions.
        Path csv = dir.resolve("history.csv");
        List<String> lines = new ArrayList<>();
        lines.add("userId,movieId,rating,timestamp");
        for (InteractionEvent e : log.subList(0, 3000)) {
            lines.add(e.user + "," + e.item + ",4.0," + e.timestamp / 1000);
        }
        Files.write(csv, lines);
        Path prepared = dir.resolve("prepared");
        PrepareJobITCase.prepare(csv.toString(), prepared.toString());
        TrainingJob.Options train = new TrainingJob.Options();
        train.dataDir = prepared.toString();
        train.outputDir = dir.resolve("train").toString();
        train.config = SMALL;
        train.runId = "batch";
        StreamExecutionEnvironment trainEnv = StreamExecutionEnvironment.getExecutionEnvironment();
        trainEnv.setParallelism(2);
        TrainingJobITCase.run(trainEnv, train);

        // Online on the next 1500 interactions, starting from the batch model.
        String topic = KafkaTestSupport.newTopic("warm");
        List<InteractionEvent> next = log.subList(3000, 4500);
        KafkaTestSupport.send(topic, json(next));
        OnlineJob.Options o = options(topic, dir.resolve("online"), "it-warm");
        o.spec.initFrom = dir.resolve("train").resolve("snapshots").resolve("batch").toString();
        JsonNode results = runBounded(o);

        Set<String> knownUsers = log.subList(0, 3000).stream().map(e -> e.user).collect(Collectors.toSet());
        Set<String> knownItems = log.subList(0, 3000).stream().map(e -> e.item).collect(Collectors.toSet());
        Set<String> newUsers = new HashSet<>();
        Set<String> newItems = new HashSet<>();
        for (InteractionEvent e : next) {
            if (!knownUsers.contains(e.user)) {
                newUsers.add(e.user);
            }
            if (!knownItems.contains(e.item)) {
                newItems.add(e.item);
            }
        }
        assertThat(results.get("new_users").asLong()).isEqualTo(newUsers.size());
        assertThat(results.get("new_items").asLong()).isEqualTo(newItems.size());
        assertThat(results.get("users").asLong()).isEqualTo(knownUsers.size() + newUsers.size());
        assertThat(results.get("items").asLong()).isEqualTo(knownItems.size() + newItems.size());
        assertThat(results.get("trained").asLong()).isEqualTo(1500);
    }

    @Test
    void stopWithSavepointAndResumeKeepsTheTotalsExact(@TempDir Path dir) throws Exception {
        stopWithSavepointAndResume(dir, "savepoint", SMALL, Map.of());
    }

    /**
     * Sparse embeddings whose tables are keyed rows on RocksDB with incremental checkpoints (--table-state auto
     * picks keyed there): the same stop, savepoint and resume, while the vocabulary grows across the restore.
     */
    @Test
    void keyedTableRowsOnRocksDbResumeAndKeepGrowing(@TempDir Path dir) throws Exception {
        TwoTowerConfig sparse = SMALL.withValues(Map.of("model", "history", "history_length", 8, "negatives", "mixed",
                "k_neg", 2, "embedding_optimizer", "rowwise_adagrad", "embedding_lr", 0.05), "test");
        Path out = stopWithSavepointAndResume(dir, "keyed-rows", sparse,
                Map.of("state.backend.type", "rocksdb", "execution.checkpointing.incremental", "true"));
        JsonNode results = JSON.readTree(Files.readAllBytes(out.resolve("online_results.json")));
        assertThat(results.get("table_state").asText()).isEqualTo("keyed");
        List<InteractionEvent> all = log.subList(0, 3000);
        long itemsBefore = log.subList(0, 2000).stream().map(e -> e.item).distinct().count();
        long items = all.stream().map(e -> e.item).distinct().count();
        assertThat(items).as("the events after the savepoint bring new items").isGreaterThan(itemsBefore);
        SnapshotStore store = new SnapshotStore(new org.apache.flink.core.fs.Path(out.toString()), "it-keyed-rows");
        long last = store.sequences().get(store.sequences().size() - 1);
        assertThat(store.verify(last)).isEmpty();
        assertThat(store.manifest(last).get("num_items").asLong()).isEqualTo(items);
        float[] itemVectors = NpyFormat.values(Files.readAllBytes(
                Path.of(store.snapshotDir(last).getPath()).resolve("item_embeddings.npy")));
        assertThat(itemVectors).hasSize((int) items * SMALL.dModel());
        for (float x : itemVectors) {
            assertThat(Float.isFinite(x)).isTrue();
        }
    }

    /**
     * 2000 events, a stop with a savepoint once a window closed, 1000 more events while the job is down, a resume
     * from the savepoint and a draining stop: every event counted once, every window once. Returns the output.
     */
    private Path stopWithSavepointAndResume(Path dir, String name, TwoTowerConfig config, Map<String, String> flink)
            throws Exception {
        String topic = KafkaTestSupport.newTopic(name);
        KafkaTestSupport.send(topic, json(log.subList(0, 2000)));
        Path out = dir.resolve("out");

        // Run unbounded until the first window has closed, then stop with a savepoint.
        OnlineJob.Options first = options(topic, out, "it-" + name);
        first.spec.config = config;
        first.untilLatest = false;
        first.spec.windowMillis = Duration.ofDays(30).toMillis();
        // Two windows a file, so windows.jsonl rolls during the runs and across the restore.
        first.spec.windowsPerFile = 2;
        Configuration conf = new Configuration();
        flink.forEach(conf::setString);
        conf.setString("execution.checkpointing.interval", "500 ms");
        conf.setString("execution.checkpointing.dir", dir.resolve("checkpoints").toUri().toString());
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        env.setParallelism(2);
        // Downstream of the trainer is its slot-sharing group: keep the sink at parallelism 1 too.
        OnlineJob.build(env, first).sinkTo(new DiscardingSink<>()).setParallelism(1);
        JobClient job = env.executeAsync("online until savepoint");
        Path windowsFile = out.resolve("windows.jsonl");
        long deadline = System.currentTimeMillis() + 180_000;
        while (!Files.exists(windowsFile) && System.currentTimeMillis() < deadline) {
            Thread.sleep(1000);
        }
        assertThat(windowsFile).exists();
        String savepoint = job.stopWithSavepoint(false, dir.resolve("savepoints").toUri().toString(),
                SavepointFormatType.CANONICAL).get();

        // More events arrive while the job is down. The resumed job reads from the savepoint's offsets; once its
        // checkpoints have committed every offset, a draining stop ends its input and it writes the totals.
        KafkaTestSupport.send(topic, json(log.subList(2000, 3000)));
        OnlineJob.Options second = options(topic, out, "it-" + name);
        second.spec.config = config;
        second.untilLatest = false;
        second.spec.windowMillis = first.spec.windowMillis;
        second.spec.windowsPerFile = first.spec.windowsPerFile;
        Configuration resume = new Configuration();
        flink.forEach(resume::setString);
        resume.setString("execution.state-recovery.path", savepoint);
        resume.setString("execution.checkpointing.interval", "500 ms");
        resume.setString("execution.checkpointing.dir", dir.resolve("checkpoints2").toUri().toString());
        StreamExecutionEnvironment env2 = StreamExecutionEnvironment.getExecutionEnvironment(resume);
        env2.setParallelism(2);
        OnlineJob.build(env2, second).sinkTo(new DiscardingSink<>()).setParallelism(1);
        JobClient resumed = env2.executeAsync("online resumed");
        deadline = System.currentTimeMillis() + 180_000;
        while (KafkaTestSupport.committed(second.groupId, topic) < 3000 && System.currentTimeMillis() < deadline) {
            Thread.sleep(500);
        }
        assertThat(KafkaTestSupport.committed(second.groupId, topic)).isEqualTo(3000);
        resumed.stopWithSavepoint(true, dir.resolve("savepoints2").toUri().toString(), SavepointFormatType.CANONICAL).get();
        resumed.getJobExecutionResult().get();
        JsonNode results = JSON.readTree(Files.readAllBytes(out.resolve("online_results.json")));
        assertThat(results.get("restored_at_events")).hasSize(1);
        assertThat(results.get("dead_lettered").asLong()).isZero();
        assertThat(results.get("restored_at_events").get(0).asLong()).isPositive();
        assertThat(results.get("events").asLong()).isEqualTo(3000);
        assertThat(results.get("trained").asLong() + results.get("skipped_no_negatives").asLong()).isEqualTo(3000);
        // The rolled files, then windows.jsonl: every window once, in order, none longer than two lines.
        List<String> files = new ArrayList<>();
        try (var listing = Files.list(out)) {
            listing.map(p -> p.getFileName().toString()).filter(n -> n.matches("windows-\\d{6}\\.jsonl")).sorted()
                    .forEach(files::add);
        }
        files.add("windows.jsonl");
        assertThat(files).hasSize(results.get("windows_files").asInt()).hasSizeGreaterThan(2);
        long windowEvents = 0;
        List<Long> starts = new ArrayList<>();
        for (String file : files) {
            List<String> lines = Files.readAllLines(out.resolve(file));
            assertThat(lines).hasSizeBetween(1, 2);
            for (String line : lines) {
                JsonNode w = JSON.readTree(line);
                windowEvents += w.get("events").asLong();
                starts.add(w.get("windowStart").asLong());
            }
        }
        assertThat(windowEvents).isEqualTo(3000);
        assertThat(starts).hasSize(results.get("windows").asInt()).isSorted().doesNotHaveDuplicates();
        return out;
    }
}
