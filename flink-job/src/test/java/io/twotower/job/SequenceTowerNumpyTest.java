package io.twotower.job;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.twotower.job.recommend.SequenceGoldenSnapshot;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The sequence tower's snapshot readers against PyTorch (sequence_golden.json): tools/snapshots/read_snapshot.py
 * recomputes the golden user vectors in numpy, and {@code recommend --history} (the plain-Java tower) ranks the
 * items as numpy's {@code --recommend} does. The snapshot is the golden model's, published as a job publishes.
 */
class SequenceTowerNumpyTest {
    /** A history longer than history_length (5) whose last 5 items are the golden first history. */
    static final int[] LONG_HISTORY = {11, 0, 8, 3, 7, 1, 9, 4};

    @Test
    void numpyRecomputesPyTorchsUserVectors(@TempDir Path dir) throws Exception {
        SequenceGoldenSnapshot golden = SequenceGoldenSnapshot.read();
        int[][] histories = golden.histories();
        assertThat(Arrays.copyOfRange(LONG_HISTORY, 3, 8)).isEqualTo(histories[0]);
        for (boolean normalize : new boolean[] {false, true}) {
            // Rows 0-2: the golden histories (5 items, 2, 1); row 3: a longer history, whose last 5 count.
            float[][] expected = golden.userVectors();
            float[][] users = {expected[0], expected[1], expected[2], expected[0]};
            if (normalize) {
                users = Arrays.stream(users).map(SequenceTowerNumpyTest::normalized).toArray(float[][]::new);
            }
            Path folder = golden.publish(dir.resolve("normalize-" + normalize), normalize, users,
                    UnaryOperator.identity(), UnaryOperator.identity());
            Map<String, int[]> byUser = new TreeMap<>(Map.of("0", histories[0], "1", histories[1], "2", histories[2],
                    "3", LONG_HISTORY));
            Path historiesFile = dir.resolve("histories-" + normalize + ".json");
            new ObjectMapper().writeValue(historiesFile.toFile(), byUser);

            JsonNode numpy = python(SnapshotNumpyInteropITCase.READER.toString(), folder.toString(),
                    historiesFile.toString());
            assertThat(numpy.get("users_checked").asInt()).isEqualTo(4);
            assertThat(numpy.get("arrays").toString()).contains("position_embedding", "block1_attn_in_weight",
                    "last_norm_bias");
            assertThat(numpy.get("history_max_abs_error").asDouble()).as("normalize %s: %s", normalize, numpy)
                    .isLessThan(1e-5);
        }
    }

    @Test
    void recommendFromAHistoryRanksAsNumpyDoes(@TempDir Path dir) throws Exception {
        SequenceGoldenSnapshot golden = SequenceGoldenSnapshot.read();
        Path folder = golden.publish(dir, false, golden.userVectors(), UnaryOperator.identity(),
                UnaryOperator.identity());
        String[] itemIds = IntStream.range(0, golden.items).mapToObj(SequenceGoldenSnapshot::itemId)
                .toArray(String[]::new);
        RecommendCommandITCase.Snapshot snapshot = new RecommendCommandITCase.Snapshot(folder, itemIds);
        String raw = Arrays.stream(LONG_HISTORY).mapToObj(SequenceGoldenSnapshot::itemId)
                .collect(Collectors.joining(","));
        String dense = Arrays.stream(LONG_HISTORY).mapToObj(String::valueOf).collect(Collectors.joining(","));

        CliRunner cli = RecommendCommandITCase.expectOk("recommend", "--snapshot", folder.toString(),
                "--history", raw, "--k", "6");
        assertThat(cli.out).contains("model sequence, input history")
                .contains("a history of " + LONG_HISTORY.length + " items (the last " + golden.length + " read)");
        List<RecommendCommandITCase.Row> rows = RecommendCommandITCase.table(cli.out);
        RecommendCommandITCase.assertMatchesNumpy(rows, snapshot,
                RecommendCommandITCase.numpy(folder, "--history-idx", dense, "--k", "6"), 6);
        // The scores are PyTorch's user vector (the last 5 items') dotted with the item table: not normalised.
        float[] user = golden.userVectors()[0];
        float[] table = golden.parameter("item_emb.weight");
        int best = Arrays.asList(itemIds).indexOf(rows.get(0).id);
        double score = 0;
        for (int c = 0; c < golden.dimension; c++) {
            score += (double) user[c] * table[best * golden.dimension + c];
        }
        assertThat(rows.get(0).score).isCloseTo(score, within(1e-5));

        // Without the history's 8 items, 4 of the 12 are left.
        List<RecommendCommandITCase.Row> unseen = RecommendCommandITCase.table(RecommendCommandITCase.expectOk(
                "recommend", "--snapshot", folder.toString(), "--history", raw, "--k", "4", "--exclude-seen").out);
        RecommendCommandITCase.assertMatchesNumpy(unseen, snapshot, RecommendCommandITCase.numpy(folder,
                "--history-idx", dense, "--k", "4", "--exclude-idx", dense), 4);
    }

    private static float[] normalized(float[] v) {
        double sum = 0;
        for (float x : v) {
            sum += (double) x * x;
        }
        float[] out = new float[v.length];
        for (int c = 0; c < v.length; c++) {
            out[c] = (float) (v[c] / Math.sqrt(sum));
        }
        return out;
    }

    /** Runs /usr/bin/python3 with {@code args}; its last line of output, as JSON. */
    private static JsonNode python(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("/usr/bin/python3"));
        command.addAll(List.of(args));
        Process python = new ProcessBuilder(command).redirectErrorStream(true).start();
        String printed = new String(python.getInputStream().readAllBytes()).trim();
        assertThat(python.waitFor()).as("python3 with numpy (bin/run-tests installs python3-numpy): %s", printed)
                .isZero();
        return new ObjectMapper().readTree(printed.lines().reduce((a, b) -> b).orElseThrow());
    }
}
