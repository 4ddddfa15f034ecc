package io.twotower.job;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.twotower.connectors.dataset.DatasetLayout;
import io.twotower.connectors.dataset.IdMapFile;
import io.twotower.connectors.dataset.SequenceFiles;
import io.twotower.connectors.dataset.Sequences;
import io.twotower.connectors.parquet.FlinkOutputFile;
import io.twotower.job.prepare.Holdout;
import io.twotower.job.prepare.PrepareJob;
import io.twotower.job.prepare.TieBreak;
import io.twotower.job.prepare.TrainingDataLayout;
import io.twotower.common.SplitMix64;
import io.twotower.connectors.dataset.DatasetManifest;
import io.twotower.connectors.source.SequenceRow;
import io.twotower.connectors.source.SplitRows;
import io.twotower.connectors.source.TrainingLayout;
import io.twotower.job.train.PreparedData;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.util.CloseableIterator;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;
import org.apache.parquet.schema.Types;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.zip.GZIPOutputStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class PrepareJobITCase {
    @RegisterExtension
    static final MiniClusterExtension CLUSTER = MiniClusters.withTrainerSlot();

    static final Path MOVIELENS = Paths.get("..", "data", "movielens-small", "ratings.csv");

    /** A synthetic log (see {@link SyntheticInteractions#writeCsv}) prepared into {@code dir/prepared}. */
    static Path prepareSynthetic(Path dir, int users, int items, int clusters, int perUser, long seed) throws Exception {
        Path log = SyntheticInteractions.writeCsv(dir.resolve("log.csv"), users, items, clusters, perUser, seed);
        Path prepared = dir.resolve("prepared");
        prepare(log.toString(), prepared.toString());
        return prepared;
    }

    /** The same synthetic log prepared in the compact layout ({@code --layout user-sequences}) into dir/prepared-compact. */
    static Path prepareSyntheticCompact(Path dir, int users, int items, int clusters, int perUser, long seed, int parts)
            throws Exception {
        Path log = SyntheticInteractions.writeCsv(dir.resolve("log.csv"), users, items, clusters, perUser, seed);
        Path prepared = dir.resolve("prepared-compact");
        PrepareJob.Options options = options(log.toString(), prepared.toString());
        options.layout = TrainingDataLayout.USER_SEQUENCES;
        options.parts = parts;
        prepare(options);
        return prepared;
    }

    /** A synthetic log prepared with {@code --holdout val+test} into {@code dir/prepared-test}. */
    static Path prepareSyntheticWithTest(Path dir, int users, int items, int clusters, int perUser, long seed)
            throws Exception {
        return prepareSyntheticWithTest(dir, users, items, clusters, perUser, seed, new PrepareJob.Options().maxHistory);
    }

    /** As above, with held-out histories cut to their last {@code maxHistory} items. */
    static Path prepareSyntheticWithTest(Path dir, int users, int items, int clusters, int perUser, long seed,
            int maxHistory) throws Exception {
        Path log = SyntheticInteractions.writeCsv(dir.resolve("log.csv"), users, items, clusters, perUser, seed);
        Path prepared = dir.resolve("prepared-test");
        PrepareJob.Options options = options(log.toString(), prepared.toString());
        options.holdout = Holdout.VAL_TEST;
        options.maxHistory = maxHistory;
        prepare(options);
        return prepared;
    }

    /**
     * The compact layout of the bundled data: every epoch's training rows are the notebook layout's rows (as
     * multisets), the id maps and held-out files are the same bytes, and the training data is over 10x smaller.
     */
    @Test
    void compactLayoutGivesTheNotebooksTrainingRowsInATenthOfTheBytes(@TempDir Path dir) throws Exception {
        Path notebook = dir.resolve("notebook");
        Path compact = dir.resolve("compact");
        prepare(MOVIELENS.toString(), notebook.toString());
        PrepareJob.Options options = options(MOVIELENS.toString(), compact.toString());
        options.layout = TrainingDataLayout.USER_SEQUENCES;
        options.parts = 3;
        String summary = prepare(options);
        assertThat(new ObjectMapper().readTree(summary).get("layout").asText()).isEqualTo("user-sequences");
        assertThat(compact.resolve(DatasetLayout.TRAIN)).doesNotExist();
        for (String f : List.of(DatasetLayout.ITEM_MAP, DatasetLayout.USER_MAP, DatasetLayout.VALIDATION)) {
            assertThat(compact.resolve(f)).as(f).hasSameBinaryContentAs(notebook.resolve(f));
        }
        PreparedData a = PreparedData.validate(notebook.toString());
        PreparedData b = PreparedData.validate(compact.toString());
        assertThat(b.trainFiles).hasSize(3);
        assertThat(b.trainRows).isEqualTo(a.trainRows).isEqualTo(100_226);
        java.util.Map<String, Integer> expected = rows(a, 1_000_000, 0);
        for (int epoch = 0; epoch < 2; epoch++) {
            // A buffer far smaller than a part (the scheme at scale), and one that holds it all.
            assertThat(rows(b, 5_000, epoch)).as("epoch %d, buffer 5000", epoch).isEqualTo(expected);
        }
        assertThat(rows(b, 1_000_000, 1)).isEqualTo(expected);
        // `recommend --seen` finds a user's items in either layout.
        for (String user : List.of("1", "414", "610")) {
            assertThat(io.twotower.connectors.dataset.SeenItems.ofUser(new org.apache.flink.core.fs.Path(compact.toString()), user))
                    .as("user %s", user).isNotEmpty()
                    .isEqualTo(io.twotower.connectors.dataset.SeenItems.ofUser(
                            new org.apache.flink.core.fs.Path(notebook.toString()), user));
        }

        long notebookBytes = Files.size(notebook.resolve(DatasetLayout.TRAIN));
        long compactBytes = 0;
        for (String f : b.trainFiles) {
            compactBytes += Files.size(Path.of(java.net.URI.create(f).getPath()));
        }
        assertThat(compactBytes).as("%d bytes vs the notebook's %d", compactBytes, notebookBytes)
                .isLessThan(notebookBytes / 10);

        // Preparing the notebook layout into the same folder again replaces the compact parts.
        prepare(MOVIELENS.toString(), compact.toString());
        assertThat(compact.resolve(DatasetLayout.MANIFEST)).doesNotExist();
        assertThat(PreparedData.validate(compact.toString()).manifest).isNull();
    }

    /** Each epoch's rows over every training file, as a multiset of (user, positive, history). */
    private static java.util.Map<String, Integer> rows(PreparedData data, int shuffleBuffer, int epoch) throws Exception {
        TrainingLayout layout = data.trainingLayout(shuffleBuffer);
        java.util.Map<String, Integer> rows = new java.util.HashMap<>();
        // As the source reads them: the compact layout's parts together, the notebook's files one by one.
        List<List<String>> splits = new ArrayList<>();
        if (layout.readsFilesTogether()) {
            splits.add(data.trainFiles);
        } else {
            for (String f : data.trainFiles) {
                splits.add(List.of(f));
            }
        }
        for (int f = 0; f < splits.size(); f++) {
            try (SplitRows split = layout.open(splits.get(f), f, data.numUsers, data.numItems,
                    SplitMix64.mix(42, epoch, f), 0, 0)) {
                // The compact layout's rows get their history from the user sequences before them, as in the sampler.
                io.twotower.connectors.source.RowHistories histories = new io.twotower.connectors.source.RowHistories(
                        data.manifest == null ? 0 : data.manifest.maxHistory);
                SequenceRow r = new SequenceRow();
                while (split.next(r)) {
                    if (histories.accept(r)) {
                        rows.merge(r.user + ":" + r.positive + ":" + Arrays.toString(r.history), 1, Integer::sum);
                    }
                    r = new SequenceRow();
                }
                assertThat(histories.inFlight()).isZero();
            }
        }
        return rows;
    }

    /** A bad part (an item index outside the map, a missing part file) fails naming the part, row and column. */
    @Test
    void badCompactPartsNameThePartFileRowAndColumn(@TempDir Path dir) throws Exception {
        Path compact = prepareSyntheticCompact(dir, 40, 50, 2, 10, 3, 2);
        PreparedData good = PreparedData.validate(compact.toString());
        // Part 1 replaced by one whose items exceed the id map.
        Path part = Path.of(java.net.URI.create(good.trainFiles.get(1)).getPath());
        try (io.twotower.connectors.dataset.UserSequenceFiles.Writer w = new io.twotower.connectors.dataset
                .UserSequenceFiles.Writer(new org.apache.flink.core.fs.Path(part.toString()))) {
            w.add(1, new int[] {3, good.numItems + 5}, 0, 2);
        }
        assertThatThrownBy(() -> PreparedData.validate(compact.toString()))
                .hasMessageContaining(part.getFileName().toString()).hasMessageContaining("row 0")
                .hasMessageContaining("column 'item_idx'").hasMessageContaining("element 1");
        Files.delete(part);
        assertThatThrownBy(() -> PreparedData.validate(compact.toString()))
                .hasMessageContaining(part.getFileName().toString()).hasMessageContaining("not found");
        // The manifest names a part outside the folder.
        Path manifest = compact.resolve(DatasetLayout.MANIFEST);
        Files.writeString(manifest, Files.readString(manifest).replace("part-00000.parquet", "../x.parquet"));
        assertThatThrownBy(() -> PreparedData.validate(compact.toString()))
                .hasMessageContaining(DatasetLayout.MANIFEST).hasMessageContaining("parts[0].file");
    }

    /**
     * Options for the notebook's layout (these tests read its files; the default, the compact layout, is what
     * {@link #prepareSyntheticCompact} and the CLI tests prepare).
     */
    static PrepareJob.Options options(String input, String output) {
        PrepareJob.Options options = new PrepareJob.Options();
        options.input = input;
        options.output = output;
        options.layout = TrainingDataLayout.NOTEBOOK;
        return options;
    }

    static String prepare(String input, String output) throws Exception {
        return prepare(options(input, output));
    }

    static String prepare(PrepareJob.Options options) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(2);
        try (CloseableIterator<String> it = PrepareJob.build(env, options).executeAndCollect("prepare")) {
            return it.next();
        }
    }

    /**
     * SHA-256 of every row of the training and validation files (user, positive, history), in file order: the
     * digest {@code --tie-break item} must keep, taken from the output of the version before the option existed.
     */
    static final String ITEM_ORDER_ROWS_SHA256 =
            "1440de171914bbf885db8e8efc9e0caba1ee7fed916c288bfd515f5bb7d02dcc";

    static String rowsDigest(Path dir, int users, int items) throws Exception {
        DatasetLayout layout = new DatasetLayout(new org.apache.flink.core.fs.Path(dir.toString()));
        java.security.MessageDigest sha = java.security.MessageDigest.getInstance("SHA-256");
        for (org.apache.flink.core.fs.Path file : List.of(layout.train(), layout.validation())) {
            Sequences rows = SequenceFiles.read(file, users, items);
            for (int r = 0; r < rows.size(); r++) {
                sha.update((rows.user(r) + "," + rows.positive(r) + "," + rows.historyText(r) + "\n")
                        .getBytes(java.nio.charset.StandardCharsets.UTF_8));
            }
            sha.update((byte) '|');
        }
        return java.util.HexFormat.of().formatHex(sha.digest());
    }

    @Test
    void bundledMovieLensWithItemTieBreakIsTheOutputOfBefore(@TempDir Path out) throws Exception {
        PrepareJob.Options options = options(MOVIELENS.toString(), out.toString());
        options.tieBreak = TieBreak.ITEM;
        JsonNode summary = new ObjectMapper().readTree(prepare(options));
        assertThat(summary.get("users").asInt()).isEqualTo(610);
        assertThat(summary.get("items").asInt()).isEqualTo(9724);
        assertThat(summary.get("train_rows").asInt()).isEqualTo(100226);
        assertThat(summary.get("val_rows").asInt()).isEqualTo(610);

        DatasetLayout layout = new DatasetLayout(new org.apache.flink.core.fs.Path(out.toString()));
        String[] users = IdMapFile.read(layout.userMap(), DatasetLayout.USER_ID_COLUMN, DatasetLayout.USER_IDX_COLUMN);
        String[] items = IdMapFile.read(layout.itemMap(), DatasetLayout.ITEM_ID_COLUMN, DatasetLayout.ITEM_IDX_COLUMN);
        // Dense ids in ascending numeric raw-id order.
        assertThat(users[0]).isEqualTo("1");
        assertThat(users[609]).isEqualTo("610");
        assertThat(items[0]).isEqualTo("1");
        assertThat(items[1]).isEqualTo("2");
        assertThat(items[9723]).isEqualTo("193609");
        Sequences train = SequenceFiles.read(layout.train(), users.length, items.length);
        Sequences val = SequenceFiles.read(layout.validation(), users.length, items.length);
        assertThat(train.size()).isEqualTo(100226);
        assertThat(val.size()).isEqualTo(610);
        // Every history is capped at 50 items, and a user's first training row has none.
        int maxHistory = 0;
        for (int r = 0; r < train.size(); r++) {
            maxHistory = Math.max(maxHistory, train.historyLength(r));
        }
        assertThat(maxHistory).isEqualTo(50);
        assertThat(train.historyLength(0)).isZero();
        assertThat(train.user(0)).isZero();

        JsonNode baselines = new ObjectMapper().readTree(Files.readAllBytes(out.resolve("baseline_results.json")))
                .get("held_out_interactions");
        assertThat(baselines.get("most_popular").get("Recall@10").asDouble()).isCloseTo(12.0 / 610, within(1e-12));
        assertThat(baselines.get("most_popular_excluding_history").get("Recall@10").asDouble())
                .isCloseTo(26.0 / 610, within(1e-12));
        assertThat(rowsDigest(out, 610, 9724)).isEqualTo(ITEM_ORDER_ROWS_SHA256);
        assertThat(out.resolve("sequences_test.parquet")).doesNotExist();
    }

    @Test
    void bundledMovieLensByDefaultBreaksTiesByHashWithTheSameCounts(@TempDir Path out) throws Exception {
        JsonNode summary = new ObjectMapper().readTree(prepare(MOVIELENS.toString(), out.toString()));
        assertThat(summary.get("train_rows").asInt()).isEqualTo(100226);
        assertThat(summary.get("val_rows").asInt()).isEqualTo(610);
        // Same rows and items, another order of the tied ones: not the item-order output.
        assertThat(rowsDigest(out, 610, 9724)).isNotEqualTo(ITEM_ORDER_ROWS_SHA256);
    }

    /**
     * Two files of one user's interactions, read in parallel: four items tied at one second, in an input order
     * that is neither the item order nor the hash order. Each option gives the order it promises.
     */
    @Test
    void tieBreakOptionsGiveTheOrderTheyPromise(@TempDir Path dir) throws Exception {
        Path input = Files.createDirectories(dir.resolve("log"));
        Files.write(input.resolve("a.csv"), List.of("userId,movieId,timestamp", "u,30,10", "v,1,1", "u,4,10", "u,1,5"));
        Files.write(input.resolve("b.csv"), List.of("userId,movieId,timestamp", "u,100,10", "v,2,1", "u,7,10", "u,8,20"));
        java.util.Map<TieBreak, List<String>> expected = new java.util.EnumMap<>(TieBreak.class);
        expected.put(TieBreak.ITEM, List.of("1", "4", "7", "30", "100", "8"));
        expected.put(TieBreak.INPUT, List.of("1", "30", "4", "100", "7", "8"));
        List<String> tied = new java.util.ArrayList<>(List.of("30", "4", "100", "7"));
        tied.sort((a, b) -> Long.compareUnsigned(TieBreak.hash(3, "u", a), TieBreak.hash(3, "u", b)));
        List<String> hashed = new java.util.ArrayList<>(List.of("1"));
        hashed.addAll(tied);
        hashed.add("8");
        expected.put(TieBreak.HASH, hashed);
        for (TieBreak t : TieBreak.values()) {
            PrepareJob.Options options = options(input.toString(), dir.resolve("out-" + t.optionValue()).toString());
            options.tieBreak = t;
            options.seed = 3;
            prepare(options);
            assertThat(rawOrderOfUser(dir.resolve("out-" + t.optionValue()), "u")).as("%s", t).isEqualTo(expected.get(t));
        }
        assertThat(hashed).as("the hash order differs from the item and input orders in this log")
                .isNotEqualTo(expected.get(TieBreak.ITEM)).isNotEqualTo(expected.get(TieBreak.INPUT));
    }

    /** A user's whole sequence, as raw item ids: the validation row's history and then its positive. */
    static List<String> rawOrderOfUser(Path prepared, String rawUser) throws Exception {
        DatasetLayout layout = new DatasetLayout(new org.apache.flink.core.fs.Path(prepared.toString()));
        String[] users = IdMapFile.read(layout.userMap(), DatasetLayout.USER_ID_COLUMN, DatasetLayout.USER_IDX_COLUMN);
        String[] items = IdMapFile.read(layout.itemMap(), DatasetLayout.ITEM_ID_COLUMN, DatasetLayout.ITEM_IDX_COLUMN);
        int user = java.util.Arrays.asList(users).indexOf(rawUser);
        Sequences val = SequenceFiles.read(layout.validation(), users.length, items.length);
        for (int r = 0; r < val.size(); r++) {
            if (val.user(r) == user) {
                List<String> out = new java.util.ArrayList<>();
                for (int i : val.history(r)) {
                    out.add(items[i]);
                }
                out.add(items[val.positive(r)]);
                return out;
            }
        }
        throw new AssertionError("no validation row for " + rawUser);
    }

    @Test
    void valPlusTestHoldsOutTheLastItemForTestAndTheOneBeforeForValidation(@TempDir Path dir) throws Exception {
        Path log = dir.resolve("log.csv");
        // a: 2 (t1) 9 (t3) 10 (t4) 7 (t6); b: 10 (t2) 9 (t5) 2 (t7).  Items 2 7 9 10 -> 0..3, users a b -> 0 1.
        Files.write(log, List.of("userId,movieId,timestamp", "a,7,6", "b,10,2", "a,2,1", "b,2,7", "a,10,4", "b,9,5",
                "a,9,3"));
        PrepareJob.Options options = options(log.toString(), dir.resolve("out").toString());
        options.holdout = Holdout.VAL_TEST;
        JsonNode summary = new ObjectMapper().readTree(prepare(options));
        assertThat(summary.get("train_rows").asInt()).isEqualTo(3);
        assertThat(summary.get("val_rows").asInt()).isEqualTo(2);
        assertThat(summary.get("test_rows").asInt()).isEqualTo(2);
        DatasetLayout layout = new DatasetLayout(new org.apache.flink.core.fs.Path(dir.resolve("out").toString()));
        Sequences train = SequenceFiles.read(layout.train(), 2, 4);
        Sequences val = SequenceFiles.read(layout.validation(), 2, 4);
        Sequences test = SequenceFiles.read(layout.test(), 2, 4);
        assertThat(test.users()).containsExactly(0, 1);
        assertThat(test.positives()).containsExactly(1, 0);
        assertThat(test.historyText(0)).isEqualTo("0 2 3");
        assertThat(test.historyText(1)).isEqualTo("3 2");
        assertThat(val.users()).containsExactly(0, 1);
        assertThat(val.positives()).containsExactly(3, 2);
        assertThat(val.historyText(0)).isEqualTo("0 2");
        assertThat(val.historyText(1)).isEqualTo("3");
        assertThat(train.users()).containsExactly(0, 0, 1);
        assertThat(train.positives()).containsExactly(0, 2, 3);
        JsonNode baselines = new ObjectMapper().readTree(Files.readAllBytes(dir.resolve("out/baseline_results.json")));
        // Four items: every held-out positive is in any top 10, validation and test alike.
        assertThat(baselines.get("held_out_interactions").get("most_popular").get("Recall@10").asDouble()).isEqualTo(1.0);
        assertThat(baselines.get("test_interactions").get("most_popular").get("Recall@10").asDouble()).isEqualTo(1.0);
        assertThat(baselines.get("test_interactions").get("most_popular_excluding_history").get("Recall@10").asDouble())
                .isEqualTo(1.0);
    }

    @Test
    void protocolOnATinyLogIsExact(@TempDir Path dir) throws Exception {
        Path log = dir.resolve("log.csv");
        Files.write(log, List.of(
                "user,item,ts",
                "b,10,5", "a,2,1", "a,10,3", "a,2,2", "b,7,5", "a,9,3"));
        Path out = dir.resolve("out");
        PrepareJob.Options options = new PrepareJob.Options();
        options.input = log.toString();
        options.output = out.toString();
        options.userColumn = "user";
        options.itemColumn = "item";
        options.timeColumn = "ts";
        options.maxHistory = 2;
        options.tieBreak = TieBreak.ITEM;
        options.layout = TrainingDataLayout.NOTEBOOK;
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        try (CloseableIterator<String> it = PrepareJob.build(env, options).executeAndCollect("prepare")) {
            it.next();
        }
        DatasetLayout layout = new DatasetLayout(new org.apache.flink.core.fs.Path(out.toString()));
        // Items 2, 7, 9, 10 -> 0..3 (numeric order); users a, b -> 0, 1.
        // a: (1,2) (2,2) (3,9) (3,10) sorted by (time, item) -> 0 0 2 3;  b: (5,7) (5,10) -> 1 3.
        Sequences train = SequenceFiles.read(layout.train(), 2, 4);
        Sequences val = SequenceFiles.read(layout.validation(), 2, 4);
        assertThat(train.size()).isEqualTo(4);
        assertThat(train.historyText(0)).isNull();
        assertThat(train.positive(0)).isEqualTo(0);
        assertThat(train.historyText(1)).isEqualTo("0");
        assertThat(train.historyText(2)).isEqualTo("0 0");
        assertThat(train.positive(2)).isEqualTo(2);
        assertThat(train.user(3)).isEqualTo(1);
        assertThat(train.positive(3)).isEqualTo(1);
        assertThat(val.user(0)).isEqualTo(0);
        assertThat(val.positive(0)).isEqualTo(3);
        assertThat(val.historyText(0)).isEqualTo("0 2");
        assertThat(val.positive(1)).isEqualTo(3);
        assertThat(val.historyText(1)).isEqualTo("1");
    }

    @Test
    void badInputNamesTheFileLineAndColumn(@TempDir Path dir) throws Exception {
        Path noColumn = dir.resolve("no_column.csv");
        Files.write(noColumn, List.of("userId,itemId,timestamp", "1,2,3"));
        assertThatThrownBy(() -> prepare(noColumn.toString(), dir.resolve("o1").toString()))
                .hasStackTraceContaining("no_column.csv: missing column 'movieId'");

        Path badTime = dir.resolve("bad_time.csv");
        Files.write(badTime, List.of("userId,movieId,timestamp", "1,2,3", "1,3,yesterday"));
        assertThatThrownBy(() -> prepare(badTime.toString(), dir.resolve("o2").toString()))
                .hasStackTraceContaining(
                        "bad_time.csv: line 3, column 'timestamp': 'yesterday' is not a timestamp (expected epoch seconds");

        Path empty = dir.resolve("empty.csv");
        Files.write(empty, new byte[0]);
        assertThatThrownBy(() -> prepare(empty.toString(), dir.resolve("o3").toString()))
                .hasStackTraceContaining("empty.csv: the file is empty");
    }

    /**
     * The same log three ways: plain CSV with epoch seconds, gzip CSV in a folder with ISO-8601 times in every
     * accepted form, and Parquet with the ISO times as a string column. All three prepare to the same rows.
     */
    @Test
    void gzipCsvAndParquetWithIsoTimesPrepareLikeEpochSeconds(@TempDir Path dir) throws Exception {
        Path epoch = SyntheticInteractions.writeCsv(dir.resolve("epoch.csv"), 40, 30, 3, 6, 7);
        List<String> lines = Files.readAllLines(epoch);
        List<String> isoLines = new ArrayList<>(List.of(lines.get(0)));
        List<String[]> isoCells = new ArrayList<>();
        Set<String> forms = new HashSet<>();
        for (int n = 1; n < lines.size(); n++) {
            String[] cells = lines.get(n).split(",");
            cells[3] = isoForm(Long.parseLong(cells[3]), n);
            forms.add(cells[3].charAt(10) + cells[3].substring(19));
            isoLines.add(String.join(",", cells));
            isoCells.add(cells);
        }
        assertThat(forms).containsExactlyInAnyOrder("TZ", "T+05:30", "T", "T.250Z", "T-0800", " Z");

        Path gzFolder = Files.createDirectories(dir.resolve("gz"));
        try (Writer w = new OutputStreamWriter(new GZIPOutputStream(
                Files.newOutputStream(gzFolder.resolve("log.csv.gz"))), StandardCharsets.UTF_8)) {
            w.write(String.join("\n", isoLines) + "\n");
        }
        Path parquet = dir.resolve("log.parquet");
        writeStringTimeParquet(parquet, isoCells);

        String expected = prepare(epoch.toString(), dir.resolve("out-epoch").toString());
        assertThat(new ObjectMapper().readTree(expected).get("train_rows").asInt()).isEqualTo(40 * 5);
        String expectedRows = rowsDigest(dir.resolve("out-epoch"), 40, 30);
        for (Path input : List.of(gzFolder, parquet)) {
            Path out = dir.resolve("out-" + input.getFileName());
            assertThat(prepare(input.toString(), out.toString())).as("%s", input).isEqualTo(expected);
            assertThat(rowsDigest(out, 40, 30)).as("%s", input).isEqualTo(expectedRows);
            for (String map : List.of(DatasetLayout.ITEM_MAP, DatasetLayout.USER_MAP)) {
                assertThat(Files.readAllBytes(out.resolve(map))).as("%s %s", input, map)
                        .isEqualTo(Files.readAllBytes(dir.resolve("out-epoch").resolve(map)));
            }
        }
    }

    /** {@code epochSeconds} as ISO-8601 text, in one of six forms chosen by {@code n}. */
    static String isoForm(long epochSeconds, int n) {
        Instant t = Instant.ofEpochSecond(epochSeconds);
        switch (n % 6) {
            case 0:
                return DateTimeFormatter.ISO_INSTANT.format(t);
            case 1:
                return DateTimeFormatter.ISO_OFFSET_DATE_TIME.format(t.atOffset(ZoneOffset.ofHoursMinutes(5, 30)));
            case 2:
                return DateTimeFormatter.ISO_LOCAL_DATE_TIME.format(t.atOffset(ZoneOffset.UTC));
            case 3:
                return DateTimeFormatter.ISO_INSTANT.format(t.plusMillis(250));
            case 4:
                return DateTimeFormatter.ISO_OFFSET_DATE_TIME.format(t.atOffset(ZoneOffset.ofHours(-8)))
                        .replace("-08:00", "-0800");
            default:
                return DateTimeFormatter.ISO_OFFSET_DATE_TIME.format(t.atOffset(ZoneOffset.UTC)).replace('T', ' ');
        }
    }

    /** A Parquet log of CSV cells (userId, movieId, -, timestamp): userId and timestamp as strings, movieId int64. */
    static void writeStringTimeParquet(Path file, List<String[]> rows) throws Exception {
        MessageType schema = Types.buildMessage()
                .required(PrimitiveTypeName.BINARY).as(LogicalTypeAnnotation.stringType()).named("userId")
                .required(PrimitiveTypeName.INT64).named("movieId")
                .required(PrimitiveTypeName.BINARY).as(LogicalTypeAnnotation.stringType()).named("timestamp")
                .named("interactions");
        SimpleGroupFactory groups = new SimpleGroupFactory(schema);
        try (ParquetWriter<Group> writer = ExampleParquetWriter.builder(
                new FlinkOutputFile(new org.apache.flink.core.fs.Path(file.toString()))).withType(schema).build()) {
            for (String[] cells : rows) {
                writer.write(groups.newGroup().append("userId", cells[0]).append("movieId", Long.parseLong(cells[1]))
                        .append("timestamp", cells[3]));
            }
        }
    }

    @Test
    void badIsoTimesNameTheFileRowAndColumn(@TempDir Path dir) throws Exception {
        // Gzip is recognised by its magic bytes, whatever the name.
        Path gz = dir.resolve("bad_time_gz.csv");
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(gz))) {
            out.write("userId,movieId,timestamp\n1,2,2024-03-05T10:15:30Z\n1,3,2024-13-05T10:15:30Z\n"
                    .getBytes(StandardCharsets.UTF_8));
        }
        assertThatThrownBy(() -> prepare(gz.toString(), dir.resolve("o1").toString())).hasStackTraceContaining(
                "bad_time_gz.csv: line 3, column 'timestamp': '2024-13-05T10:15:30Z' is not a timestamp (expected");

        Path parquet = dir.resolve("bad_time.parquet");
        writeStringTimeParquet(parquet, List.of(new String[] {"1", "2", "", "2024-03-05"},
                new String[] {"1", "3", "", "2024-03-05 10:15"}, new String[] {"1", "4", "", "March 5th"}));
        assertThatThrownBy(() -> prepare(parquet.toString(), dir.resolve("o2").toString())).hasStackTraceContaining(
                "bad_time.parquet: row 2, column 'timestamp': 'March 5th' is not a timestamp (expected");

        Path truncated = dir.resolve("truncated.csv.gz");
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (OutputStream out = new GZIPOutputStream(bytes)) {
            out.write(Files.readAllBytes(SyntheticInteractions.writeCsv(dir.resolve("log.csv"), 20, 10, 2, 50, 1)));
        }
        Files.write(truncated, Arrays.copyOf(bytes.toByteArray(), bytes.size() / 2));
        assertThatThrownBy(() -> prepare(truncated.toString(), dir.resolve("o3").toString()))
                .hasStackTraceContaining("truncated.csv.gz: line ").hasStackTraceContaining(": cannot read: ");
    }
}
