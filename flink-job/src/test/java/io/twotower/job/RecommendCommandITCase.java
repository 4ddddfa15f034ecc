package io.twotower.job;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.twotower.connectors.dataset.DatasetLayout;
import io.twotower.connectors.dataset.IdMapFile;
import io.twotower.connectors.dataset.SequenceFiles;
import io.twotower.connectors.dataset.Sequences;
import io.twotower.connectors.snapshot.SnapshotStore;
import io.twotower.model.TwoTowerConfig;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * {@code recommend} through the CLI on snapshots of a seed and a history-tower model trained here, checked
 * against numpy (tools/snapshots/read_snapshot.py --recommend computes the same top-K from the same files): the
 * same items in the same order, scores within 1e-5. Also seen-item exclusion, titles, and the errors.
 */
class RecommendCommandITCase {
    @RegisterExtension
    static final MiniClusterExtension CLUSTER = MiniClusters.withTrainerSlot();

    @TempDir
    static Path shared;
    static Path seedDir;
    static Path historyDir;
    static final int USERS = 90;
    static final int ITEMS = 120;
    static final int HISTORY_LENGTH = 4;
    /** The interop test's tiny model (2 epochs). */
    static final TwoTowerConfig CONFIG = SnapshotNumpyInteropITCase.SMALL;

    /**
     * Trains both models once, on first use: inside a test, where the MiniClusterExtension's environment is set
     * (in {@code @BeforeAll} a job would get a local environment without the trainer's slot).
     */
    static synchronized void trainOnce() throws Exception {
        if (historyDir != null) {
            return;
        }
        Path seed = Files.createDirectories(shared.resolve("seed"));
        SnapshotNumpyInteropITCase.trainOnSyntheticData(seed, CONFIG, "seed");
        Path history = Files.createDirectories(shared.resolve("history"));
        TwoTowerConfig config = CONFIG.withValues(Map.of("model", "history",
                "history_length", HISTORY_LENGTH, "history_pooling", "recency", "negatives", "mixed"), "test");
        SnapshotNumpyInteropITCase.trainOnSyntheticData(history, config, "history");
        seedDir = seed;
        historyDir = history;
    }

    @Test
    void seedModelUserMatchesNumpyFromAnyFolderOfTheSnapshot() throws Exception {
        Snapshot s = Snapshot.of("seed");
        CliRunner cli = CliRunner.run("recommend", "--snapshot", seedDir.resolve("out").toString(), "--user", "1003",
                "--k", "7");
        assertThat(cli.exitCode).as(cli.err).isZero();
        assertThat(cli.out).contains("# snapshot " + s.folder + " (run seed, sequence ")
                .contains("model seed").contains("user '1003' (row 3 of user_embeddings.npy)");
        List<Row> rows = table(cli.out);
        assertMatchesNumpy(rows, s, numpy(s.folder, "--user-idx", "3", "--k", "7"), 7);

        // A run folder and the snapshot folder itself name the same snapshot.
        for (Path uri : List.of(s.folder.getParent(), s.folder)) {
            CliRunner again = CliRunner.run("recommend", "--snapshot", uri.toString(), "--user", "1003", "--k", "7");
            assertThat(again.exitCode).isZero();
            assertThat(table(again.out)).usingRecursiveFieldByFieldElementComparator().isEqualTo(rows);
        }
    }

    @Test
    void seedModelExcludesTheUsersSeenItemsFromThePreparedData() throws Exception {
        Snapshot s = Snapshot.of("seed");
        Path prepared = seedDir.resolve("prepared");
        Set<String> seen = seenItems(prepared, "1010");
        assertThat(seen).hasSizeGreaterThan(5);
        int k = 30;
        List<Row> all = table(expectOk("recommend", "--snapshot", s.folder.toString(), "--user", "1010",
                "--k", String.valueOf(k)).out);
        assertThat(ids(all)).as("without the exclusion, seen items rank high").containsAnyElementsOf(seen);

        CliRunner cli = expectOk("recommend", "--snapshot", s.folder.toString(), "--user", "1010",
                "--k", String.valueOf(k), "--exclude-seen", "--seen", prepared.toString());
        assertThat(cli.out).contains(seen.size() + " seen items in " + prepared + " excluded");
        List<Row> rows = table(cli.out);
        assertThat(ids(rows)).hasSize(k).doesNotContainAnyElementsOf(seen);
        assertMatchesNumpy(rows, s, numpy(s.folder, "--user-idx", "10", "--k", String.valueOf(k),
                "--exclude-idx", s.indicesOf(seen)), k);
    }

    @Test
    void historyModelComputesTheUserVectorFromAHistoryAsNumpyDoes() throws Exception {
        Snapshot s = Snapshot.of("history");
        // User 1020's latest history (the items before the validation row): the trainer's vector of that user.
        List<String> latest = validationHistory(historyDir.resolve("prepared"), 20);
        assertThat(latest).hasSizeGreaterThan(HISTORY_LENGTH);
        List<String> history = new ArrayList<>(latest);
        history.add(2, "no-such-item");

        CliRunner cli = CliRunner.run("recommend", "--snapshot", historyDir.resolve("out").toString(),
                "--history", String.join(",", history), "--k", "8", "--exclude-seen");
        assertThat(cli.exitCode).as(cli.err).isZero();
        assertThat(cli.err).contains("warning: item 'no-such-item' of --history is not in the snapshot's catalog");
        assertThat(cli.out).contains("model history, input history")
                .contains("a history of " + latest.size() + " items (the last " + HISTORY_LENGTH + " pooled)");
        List<Row> rows = table(cli.out);
        assertThat(ids(rows)).hasSize(8).doesNotContainAnyElementsOf(latest);
        String known = s.indicesOf(latest);
        assertMatchesNumpy(rows, s, numpy(s.folder, "--history-idx", known, "--k", "8", "--exclude-idx", known), 8);

        // --user reads the row the trainer exported, the vector of the same latest history.
        List<Row> byUser = table(expectOk("recommend", "--snapshot", s.folder.toString(), "--user", "1020",
                "--k", "8").out);
        List<Row> byHistory = table(expectOk("recommend", "--snapshot", s.folder.toString(), "--history",
                String.join(",", latest), "--k", "8").out);
        assertThat(ids(byHistory)).isEqualTo(ids(byUser));
        for (int i = 0; i < 8; i++) {
            assertThat(byHistory.get(i).score).isCloseTo(byUser.get(i).score, within(1e-5));
        }
        assertMatchesNumpy(byUser, s, numpy(s.folder, "--user-idx", "20", "--k", "8"), 8);
    }

    @Test
    void itemNamesPrintTitlesWithCommasAndQuotes() throws Exception {
        Snapshot s = Snapshot.of("seed");
        StringBuilder csv = new StringBuilder("movieId,title,genres\n");
        for (String id : s.items) {
            csv.append(id).append(",\"Film ").append(id).append(", The (\"\"cut\"\" 1999)\",Drama|Comedy\r\n");
        }
        Path names = Files.writeString(shared.resolve("names.csv"), csv);
        CliRunner cli = expectOk("recommend", "--snapshot", s.folder.toString(), "--user", "1003", "--k", "5",
                "--item-names", names.toString());
        assertThat(cli.out.lines().filter(l -> !l.startsWith("#")).findFirst().orElseThrow())
                .matches("rank\\s+item_id\\s+score\\s+title");
        List<Row> rows = table(cli.out);
        assertThat(rows).hasSize(5);
        for (Row r : rows) {
            assertThat(r.title).isEqualTo("Film " + r.id + ", The (\"cut\" 1999)");
        }
        // The same ids and scores as without titles.
        assertThat(ids(rows)).isEqualTo(ids(table(expectOk("recommend", "--snapshot", s.folder.toString(),
                "--user", "1003", "--k", "5").out)));

        Path other = Files.writeString(shared.resolve("names2.csv"), "id;name\n5;x\n");
        CliRunner noTitle = CliRunner.run("recommend", "--snapshot", s.folder.toString(), "--user", "1003",
                "--item-names", other.toString());
        assertThat(noTitle.exitCode).isEqualTo(1);
        assertThat(noTitle.err).contains("names2.csv: no column 'title' in the header [id;name]");
    }

    @Test
    void badInputIsOneErrorLineNamingWhatIsWrong() throws Exception {
        Snapshot seed = Snapshot.of("seed");
        assertThat(error(1, "recommend", "--snapshot", seed.folder.toString(), "--user", "nobody"))
                .isEqualTo("error: user 'nobody' is not in the snapshot (" + seed.folder + "/customer_id_map.parquet)");
        assertThat(error(1, "recommend", "--snapshot", seed.folder.toString(), "--history", "5,8"))
                .startsWith("error: --history needs a snapshot whose user tower reads histories (model: history or"
                        + " sequence); ")
                .contains("is of the seed model, whose user tower reads user ids, not histories: use --user");
        Path missing = shared.resolve("no-such-output");
        assertThat(error(1, "recommend", "--snapshot", missing.toString(), "--user", "1003"))
                .startsWith("error: ").endsWith("no-such-output: not found");
        Snapshot history = Snapshot.of("history");
        assertThat(error(1, "recommend", "--snapshot", history.folder.toString(), "--history", "x,y"))
                .startsWith("error: none of the --history items [x, y] is in the snapshot's catalog");
        assertThat(error(1, "recommend", "--snapshot", seed.folder.toString(), "--user", "1003", "--exclude-seen",
                "--seen", shared.toString())).contains("--seen " + shared).contains("not a prepared data folder");

        // A snapshot whose files do not match its manifest is not read.
        Path copy = shared.resolve("tampered").resolve("snapshots").resolve("r").resolve("000001");
        Files.createDirectories(copy);
        for (Path f : Files.list(seed.folder).toList()) {
            Files.copy(f, copy.resolve(f.getFileName()));
        }
        byte[] items = Files.readAllBytes(copy.resolve("item_embeddings.npy"));
        items[items.length - 1] ^= 1;
        Files.write(copy.resolve("item_embeddings.npy"), items);
        Files.writeString(copy.getParent().resolve("LATEST"), "000001\n");
        assertThat(error(1, "recommend", "--snapshot", copy.toString(), "--user", "1003"))
                .contains("does not verify against its manifest")
                .contains("item_embeddings.npy: checksum does not match the manifest");
        assertThat(error(1, "recommend", "--snapshot", shared.resolve("tampered").toString(), "--user", "1003"))
                .contains("item_embeddings.npy: checksum does not match the manifest");
        // The same resolution and verification as snapshots verify, which shares the code.
        CliRunner verify = CliRunner.run("snapshots", "verify", copy.getParent().toString());
        assertThat(verify.exitCode).isEqualTo(1);
        assertThat(verify.out).contains("BAD " + copy.resolve("item_embeddings.npy")
                + ": checksum does not match the manifest LATEST");

        // Bad command lines exit 2.
        String folder = seed.folder.toString();
        assertThat(error(2, "recommend", "--snapshot", folder)).contains("give one of --user");
        assertThat(error(2, "recommend", "--snapshot", folder, "--user", "1003", "--history", "5"))
                .contains("give one of --user");
        assertThat(error(2, "recommend", "--snapshot", folder, "--user", "1003", "--k", "0"))
                .contains("--k must be at least 1");
        assertThat(error(2, "recommend", "--snapshot", folder, "--user", "1003", "--exclude-seen"))
                .contains("--exclude-seen with --user needs --seen <prepared data folder>");
        assertThat(error(2, "recommend", "--user", "1003")).contains("missing required option --snapshot");
        assertThat(error(2, "recommend", "--snapshot", folder, "--user", "1003", "--topk", "3"))
                .contains("unknown option --topk for 'recommend'");
    }

    // ---- helpers ----

    /** A snapshot the test trained: its LATEST folder and id maps. */
    static final class Snapshot {
        final Path folder;
        final String[] items;

        Snapshot(Path folder, String[] items) {
            this.folder = folder;
            this.items = items;
        }

        static Snapshot of(String runId) throws Exception {
            trainOnce();
            Path dir = runId.equals("seed") ? seedDir : historyDir;
            SnapshotStore store = new SnapshotStore(new org.apache.flink.core.fs.Path(dir.resolve("out").toUri()), runId);
            Path folder = dir.resolve("out").resolve("snapshots").resolve(runId)
                    .resolve(String.format("%06d", store.latestSequence()));
            String[] items = IdMapFile.read(new org.apache.flink.core.fs.Path(folder.resolve(DatasetLayout.ITEM_MAP)
                    .toUri()), DatasetLayout.ITEM_ID_COLUMN, DatasetLayout.ITEM_IDX_COLUMN);
            assertThat(items).hasSize(ITEMS);
            return new Snapshot(folder, items);
        }

        /** Dense indices of raw item ids, comma-separated in the given order. */
        String indicesOf(java.util.Collection<String> rawIds) {
            List<String> list = Arrays.asList(items);
            return rawIds.stream().map(id -> String.valueOf(list.indexOf(id))).collect(Collectors.joining(","));
        }
    }

    static final class Row {
        final int rank;
        final String id;
        final double score;
        final String title;

        Row(int rank, String id, double score, String title) {
            this.rank = rank;
            this.id = id;
            this.score = score;
            this.title = title;
        }
    }

    private static final Pattern ROW = Pattern.compile("^\\s*(\\d+)\\s+(\\S+)\\s+(-?\\d+\\.\\d{6})(?:  (.*))?$");

    /** The printed table's rows (after the '#' notes and the header). */
    static List<Row> table(String out) {
        List<String> lines = out.lines().filter(l -> !l.startsWith("#")).toList();
        assertThat(lines.get(0)).startsWith("rank  item_id");
        List<Row> rows = new ArrayList<>();
        for (String line : lines.subList(1, lines.size())) {
            Matcher m = ROW.matcher(line);
            assertThat(m.matches()).as("table row '%s'", line).isTrue();
            rows.add(new Row(Integer.parseInt(m.group(1)), m.group(2), Double.parseDouble(m.group(3)), m.group(4)));
            assertThat(rows.get(rows.size() - 1).rank).isEqualTo(rows.size());
        }
        return rows;
    }

    static List<String> ids(List<Row> rows) {
        return rows.stream().map(r -> r.id).toList();
    }

    static void assertMatchesNumpy(List<Row> rows, Snapshot s, JsonNode numpy, int k) {
        assertThat(numpy.get("items")).hasSize(k);
        List<String> expected = new ArrayList<>();
        numpy.get("items").forEach(i -> expected.add(s.items[i.asInt()]));
        assertThat(ids(rows)).as("numpy: %s", numpy).isEqualTo(expected);
        for (int i = 0; i < k; i++) {
            assertThat(rows.get(i).score).isCloseTo(numpy.get("scores").get(i).asDouble(), within(1e-5));
        }
    }

    /** tools/snapshots/read_snapshot.py FOLDER --recommend ARGS: numpy's top-K, as JSON. */
    static JsonNode numpy(Path folder, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("/usr/bin/python3",
                SnapshotNumpyInteropITCase.READER.toString(), folder.toString(), "--recommend"));
        command.addAll(List.of(args));
        Process python = new ProcessBuilder(command).redirectErrorStream(true).start();
        String printed = new String(python.getInputStream().readAllBytes()).trim();
        assertThat(python.waitFor()).as("python3 with numpy (bin/run-tests installs python3-numpy): %s", printed)
                .isZero();
        return new ObjectMapper().readTree(printed.lines().reduce((a, b) -> b).orElseThrow());
    }

    static CliRunner expectOk(String... args) throws Exception {
        CliRunner cli = CliRunner.run(args);
        assertThat(cli.exitCode).as(cli.err).isZero();
        return cli;
    }

    /** Runs the command, expects {@code code} and exactly one stderr line, an error, which is returned. */
    static String error(int code, String... args) throws Exception {
        CliRunner cli = CliRunner.run(args);
        assertThat(cli.exitCode).as(cli.out + cli.err).isEqualTo(code);
        List<String> lines = cli.err.lines().toList();
        assertThat(lines).as(cli.err).singleElement().asString().startsWith("error: ");
        assertThat(cli.out).isEmpty();
        return lines.get(0);
    }

    /** Raw ids of every item of a user in the prepared data (train and validation rows), read independently. */
    static Set<String> seenItems(Path prepared, String rawUser) throws Exception {
        DatasetLayout layout = new DatasetLayout(new org.apache.flink.core.fs.Path(prepared.toUri()));
        String[] users = IdMapFile.read(layout.userMap(), DatasetLayout.USER_ID_COLUMN, DatasetLayout.USER_IDX_COLUMN);
        String[] items = IdMapFile.read(layout.itemMap(), DatasetLayout.ITEM_ID_COLUMN, DatasetLayout.ITEM_IDX_COLUMN);
        int user = Arrays.asList(users).indexOf(rawUser);
        Set<String> seen = new LinkedHashSet<>();
        for (org.apache.flink.core.fs.Path file : List.of(layout.train(), layout.validation())) {
            Sequences rows = SequenceFiles.read(file, users.length, items.length);
            for (int r = 0; r < rows.size(); r++) {
                if (rows.user(r) == user) {
                    seen.add(items[rows.positive(r)]);
                    Arrays.stream(rows.history(r)).forEach(i -> seen.add(items[i]));
                }
            }
        }
        return seen;
    }

    /** Raw ids of the history of a user's validation row, oldest first. */
    static List<String> validationHistory(Path prepared, int userIdx) throws Exception {
        DatasetLayout layout = new DatasetLayout(new org.apache.flink.core.fs.Path(prepared.toUri()));
        String[] items = IdMapFile.read(layout.itemMap(), DatasetLayout.ITEM_ID_COLUMN, DatasetLayout.ITEM_IDX_COLUMN);
        Sequences val = SequenceFiles.read(layout.validation(), USERS, ITEMS);
        for (int r = 0; r < val.size(); r++) {
            if (val.user(r) == userIdx) {
                return Arrays.stream(val.history(r)).mapToObj(i -> items[i]).toList();
            }
        }
        throw new AssertionError("no validation row for user " + userIdx);
    }
}
