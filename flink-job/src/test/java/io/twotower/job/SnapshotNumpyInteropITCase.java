package io.twotower.job;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.twotower.connectors.dataset.DatasetLayout;
import io.twotower.connectors.dataset.IdMapFile;
import io.twotower.connectors.dataset.SequenceFiles;
import io.twotower.connectors.dataset.Sequences;
import io.twotower.connectors.snapshot.NpyFormat;
import io.twotower.connectors.snapshot.SnapshotStore;
import io.twotower.job.train.TrainingJob;
import io.twotower.model.TwoTowerConfig;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A trained job's snapshot read by Python's numpy through tools/snapshots/read_snapshot.py (the reader that
 * docs/snapshot-format.md describes): the shapes, exact floats, norms and a top-5 agree with the Java side.
 */
class SnapshotNumpyInteropITCase {
    @RegisterExtension
    static final MiniClusterExtension CLUSTER = MiniClusters.withTrainerSlot();

    static final Path READER = Paths.get("..", "tools", "snapshots", "read_snapshot.py");
    static final TwoTowerConfig SMALL = TwoTowerConfig.defaults().withValues(Map.of("d_model", 24, "batch_size", 64,
            "k_neg", 10, "lr", 0.01, "epochs", 2), "test");

    /** Prepares 90 users x 120 items of synthetic interactions into dir/prepared and trains them into dir/out. */
    static void trainOnSyntheticData(Path dir, TwoTowerConfig config, String runId) throws Exception {
        Path log = SyntheticInteractions.writeCsv(dir.resolve("log.csv"), 90, 120, 6, 15, 11);
        PrepareJobITCase.prepare(log.toString(), dir.resolve("prepared").toString());
        TrainingJob.Options options = new TrainingJob.Options();
        options.dataDir = dir.resolve("prepared").toString();
        options.outputDir = dir.resolve("out").toString();
        options.config = config;
        options.runId = runId;
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(2);
        TrainingJobITCase.run(env, options);
    }

    @Test
    void numpyLoadsWhatTheJobPublished(@TempDir Path dir) throws Exception {
        Path data = dir.resolve("prepared");
        Path out = dir.resolve("out");
        trainOnSyntheticData(dir, SMALL, "numpy");

        Path run = out.resolve("snapshots").resolve("numpy");
        Process python = new ProcessBuilder("/usr/bin/python3", READER.toString(), run.toString())
                .redirectErrorStream(true).start();
        String printed = new String(python.getInputStream().readAllBytes()).trim();
        assertThat(python.waitFor()).as("python3 with numpy (bin/run-tests installs python3-numpy): %s", printed).isZero();
        JsonNode numpy = new ObjectMapper().readTree(printed.lines().reduce((a, b) -> b).orElseThrow());

        SnapshotStore store = new SnapshotStore(new org.apache.flink.core.fs.Path(out.toUri()), "numpy");
        long latest = store.latestSequence();
        Path folder = run.resolve(String.format("%06d", latest));
        assertThat(numpy.get("sequence").asLong()).isEqualTo(latest);
        assertThat(numpy.get("folder").asText()).isEqualTo(folder.toString());
        assertThat(numpy.get("dtype").asText()).isEqualTo("float32");
        assertThat(numpy.get("user_shape")).hasToString("[90,24]");
        assertThat(numpy.get("item_shape")).hasToString("[120,24]");

        float[] users = NpyFormat.values(Files.readAllBytes(folder.resolve("user_embeddings.npy")));
        float[] items = NpyFormat.values(Files.readAllBytes(folder.resolve("item_embeddings.npy")));
        // Python's float of a float32 is exact, and so is Java's widening: the same numbers, bit for bit.
        for (int j = 0; j < 4; j++) {
            assertThat(numpy.get("user_row0").get(j).asDouble()).isEqualTo((double) users[j]);
            assertThat(numpy.get("item_last_row").get(j).asDouble()).isEqualTo((double) items[items.length - 4 + j]);
        }
        assertThat(numpy.get("max_norm_error").asDouble()).as("L2-normalised rows").isLessThan(1e-5);
        // Row i is dense index i: user 0's best items by cosine, computed here from the same floats.
        List<Integer> top5 = IntStream.range(0, 120).boxed()
                .sorted(Comparator.comparingDouble((Integer i) -> -dot(users, 0, items, i)).thenComparing(i -> i))
                .limit(5).toList();
        assertThat(numpy.get("user0_top5")).hasToString(top5.toString().replace(" ", ""));

        // The id maps travel with the snapshot: raw id -> the index of the row.
        String[] snapshotUsers = IdMapFile.read(new org.apache.flink.core.fs.Path(folder.resolve(DatasetLayout.USER_MAP)
                .toUri()), DatasetLayout.USER_ID_COLUMN, DatasetLayout.USER_IDX_COLUMN);
        String[] preparedUsers = IdMapFile.read(new org.apache.flink.core.fs.Path(data.resolve(DatasetLayout.USER_MAP)
                .toUri()), DatasetLayout.USER_ID_COLUMN, DatasetLayout.USER_IDX_COLUMN);
        assertThat(snapshotUsers).hasSize(90).isEqualTo(preparedUsers);
        assertThat(Arrays.asList(snapshotUsers)).startsWith("1000", "1001");
    }

    /**
     * With the history tower, numpy recomputes every user's exported vector from user_tower.npz and the
     * user's history (the items before the validation row), as docs/snapshot-format.md tells a reader to.
     */
    @Test
    void numpyRecomputesHistoryTowerUserVectors(@TempDir Path dir) throws Exception {
        trainOnSyntheticData(dir, SMALL.withValues(Map.of("model", "history", "history_length", 4,
                "history_pooling", "recency", "negatives", "mixed"), "test"), "history");
        JsonNode numpy = numpyChecksUserVectors(dir, "history");
        assertThat(numpy.get("input").asText()).isEqualTo("history");
        assertThat(numpy.get("arrays").toString()).contains("item_embedding", "linear1_weight", "norm0_bias")
                .doesNotContain("user_embedding");
    }

    /**
     * With the sequence tower, numpy recomputes every user's exported vector from user_tower.npz (the encoder's
     * weights) and the user's history, unpadded, as docs/snapshot-format.md tells a reader to.
     */
    @Test
    void numpyRecomputesSequenceTowerUserVectors(@TempDir Path dir) throws Exception {
        trainOnSyntheticData(dir, SMALL.withValues(Map.of("model", "sequence", "history_length", 6,
                "sequence_heads", 2, "negatives", "full", "epochs", 2), "test"), "sequence");
        JsonNode numpy = numpyChecksUserVectors(dir, "sequence");
        assertThat(numpy.get("arrays").toString()).contains("position_embedding", "block1_attn_in_weight",
                "last_norm_bias");
    }

    /**
     * Runs read_snapshot.py on run {@code runId}'s snapshot with every user's validation history (the items before
     * the validation row) and checks it recomputed all 90 users' exported vectors to 1e-5; returns its summary.
     */
    private static JsonNode numpyChecksUserVectors(Path dir, String runId) throws Exception {
        Sequences validation = SequenceFiles.read(new DatasetLayout(
                new org.apache.flink.core.fs.Path(dir.resolve("prepared").toUri())).validation(), 90, 120);
        Map<String, int[]> histories = new java.util.TreeMap<>();
        for (int r = 0; r < validation.size(); r++) {
            histories.put(String.valueOf(validation.user(r)), validation.history(r));
        }
        assertThat(histories).hasSize(90);
        Path historiesFile = dir.resolve("histories.json");
        new ObjectMapper().writeValue(historiesFile.toFile(), histories);
        Path run = dir.resolve("out").resolve("snapshots").resolve(runId);
        Process python = new ProcessBuilder("/usr/bin/python3", READER.toString(), run.toString(),
                historiesFile.toString()).redirectErrorStream(true).start();
        String printed = new String(python.getInputStream().readAllBytes()).trim();
        assertThat(python.waitFor()).as(printed).isZero();
        JsonNode numpy = new ObjectMapper().readTree(printed.lines().reduce((a, b) -> b).orElseThrow());
        assertThat(numpy.get("users_checked").asInt()).isEqualTo(90);
        assertThat(numpy.get("history_max_abs_error").asDouble()).as(printed).isLessThan(1e-5);
        return numpy;
    }

    static double dot(float[] users, int user, float[] items, int item) {
        int d = 24;
        double sum = 0;
        for (int j = 0; j < d; j++) {
            sum += (double) users[user * d + j] * items[item * d + j];
        }
        return sum;
    }
}
