package io.twotower.connectors.source;

import io.twotower.common.SplitMix64;
import io.twotower.connectors.dataset.UserSequenceFiles;
import org.apache.flink.core.fs.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The compact layout's streaming reader: the notebook's rows, in a seeded order, with bounded memory. */
class UserSequenceRowsTest {
    private static final int USERS = 120;
    private static final int ITEMS = 300;
    private static final int MAX_HISTORY = 6;

    /** Users 0..USERS-1 (every 7th has no training items), sequences of 1..40 items. */
    static int[][] sequences(long seed) {
        SplitMix64 rng = new SplitMix64(seed);
        int[][] seqs = new int[USERS][];
        for (int u = 0; u < USERS; u++) {
            seqs[u] = new int[u % 7 == 3 ? 0 : 1 + rng.nextInt(40)];
            for (int t = 0; t < seqs[u].length; t++) {
                seqs[u][t] = rng.nextInt(ITEMS);
            }
        }
        return seqs;
    }

    /** One part with tiny row groups, so the reader has many to shuffle. */
    static String writePart(java.nio.file.Path dir, int[][] seqs) throws IOException {
        Path part = new Path(dir.resolve("part-00000.parquet").toString());
        try (UserSequenceFiles.Writer w = new UserSequenceFiles.Writer(part, 1024)) {
            for (int u = 0; u < seqs.length; u++) {
                if (seqs[u].length > 0) {
                    w.add(u, seqs[u], 0, seqs[u].length);
                }
            }
        }
        return part.toString();
    }

    /** {@code parts} parts with tiny row groups, user u's sequence in part {@code partOf(u)} (a part may stay empty). */
    static List<String> writeParts(java.nio.file.Path dir, int[][] seqs, int parts,
            java.util.function.IntUnaryOperator partOf) throws IOException {
        List<String> paths = new ArrayList<>();
        UserSequenceFiles.Writer[] writers = new UserSequenceFiles.Writer[parts];
        for (int p = 0; p < parts; p++) {
            Path path = new Path(dir.resolve("part-" + p + ".parquet").toString());
            writers[p] = new UserSequenceFiles.Writer(path, 1024);
            paths.add(path.toString());
        }
        for (int u = 0; u < seqs.length; u++) {
            if (seqs[u].length > 0) {
                writers[partOf.applyAsInt(u)].add(u, seqs[u], 0, seqs[u].length);
            }
        }
        for (UserSequenceFiles.Writer w : writers) {
            w.close();
        }
        return paths;
    }

    /** The notebook's rows of the same sequences (what prepare writes to sequences_train.parquet), as text keys. */
    static Map<String, Integer> notebookRows(int[][] seqs, int windowLength) {
        Map<String, Integer> rows = new HashMap<>();
        for (int u = 0; u < seqs.length; u++) {
            int[] ts = UserSequenceRows.rowsOf(seqs[u].length, MAX_HISTORY, windowLength, 0);
            for (int t : ts) {
                rows.merge(key(u, seqs[u][t], Arrays.copyOfRange(seqs[u], Math.max(0, t - MAX_HISTORY), t)), 1,
                        Integer::sum);
            }
        }
        return rows;
    }

    static String key(int user, int positive, int[] history) {
        return user + ":" + positive + ":" + Arrays.toString(history);
    }

    /**
     * Every row of a split, its history filled in from the user-sequence records before it (as the keyed sampler
     * does); fails if a row comes before its user's sequence, and checks that no sequence is left over at the end.
     */
    static List<SequenceRow> readAll(SplitRows rows) throws IOException {
        RowHistories histories = new RowHistories(MAX_HISTORY);
        List<SequenceRow> out = new ArrayList<>();
        for (SequenceRow r : readRecords(rows)) {
            if (histories.accept(r)) {
                out.add(r);
            }
        }
        assertThat(histories.inFlight()).as("every user's rows came after its sequence, all of them").isZero();
        return out;
    }

    /** Every record of a split as it reads: user-sequence records and rows (without their history). */
    static List<SequenceRow> readRecords(SplitRows rows) throws IOException {
        List<SequenceRow> out = new ArrayList<>();
        SequenceRow r = new SequenceRow();
        while (rows.next(r)) {
            out.add(r);
            r = new SequenceRow();
        }
        rows.close();
        return out;
    }

    /** The rows only, as read (a restored reader's rows need the sequences sent before the checkpoint). */
    static List<SequenceRow> rowsOnly(List<SequenceRow> records) {
        return records.stream().filter(r -> !r.isUserSequence()).toList();
    }

    static Map<String, Integer> multiset(List<SequenceRow> rows) {
        Map<String, Integer> m = new HashMap<>();
        for (SequenceRow r : rows) {
            m.merge(key(r.user, r.positive, r.history), 1, Integer::sum);
        }
        return m;
    }

    @Test
    void expandsEveryUsersSequenceIntoTheNotebooksRowsWithAnyBuffer(@TempDir java.nio.file.Path dir) throws Exception {
        int[][] seqs = sequences(5);
        String part = writePart(dir, seqs);
        try (UserSequenceFiles.Reader r = UserSequenceFiles.Reader.open(new Path(part), USERS, ITEMS)) {
            assertThat(r.rowGroups()).as("tiny row groups").isGreaterThan(3);
        }
        Map<String, Integer> expected = notebookRows(seqs, 0);
        for (int buffer : new int[] {1, 7, 100, 1_000_000}) {
            List<SequenceRow> rows = readAll(new UserSequenceRows(part, USERS, ITEMS, MAX_HISTORY, 0, 0, buffer, 42));
            assertThat(multiset(rows)).as("buffer %d", buffer).isEqualTo(expected);
            assertThat(rows.stream().map(x -> x.rowId).distinct().count()).as("row ids unique").isEqualTo(rows.size());
        }
        assertThat(UserSequenceRows.count(part, USERS, ITEMS, MAX_HISTORY, 0, 0, new BitSet()))
                .isEqualTo(expected.values().stream().mapToInt(Integer::intValue).sum());
    }

    @Test
    void sequenceWindowsAreTheNotebookLayoutsSelection(@TempDir java.nio.file.Path dir) throws Exception {
        int[][] seqs = sequences(6);
        String part = writePart(dir, seqs);
        // The notebook layout's rows of the same users, selected by SequenceWindows.select.
        io.twotower.connectors.dataset.Sequences notebook = new io.twotower.connectors.dataset.Sequences(100);
        for (int u = 0; u < USERS; u++) {
            for (int t = 0; t < seqs[u].length; t++) {
                notebook.add(u, seqs[u][t], seqs[u], Math.max(0, t - MAX_HISTORY), t);
            }
        }
        Map<String, Integer> selected = new HashMap<>();
        for (int r : SequenceWindows.select(notebook, 4, 0, "notebook")) {
            selected.merge(key(notebook.user(r), notebook.positive(r), notebook.history(r)), 1, Integer::sum);
        }
        List<SequenceRow> rows = readAll(new UserSequenceRows(part, USERS, ITEMS, MAX_HISTORY, 4, 0, 50, 9));
        assertThat(multiset(rows)).isEqualTo(selected).isEqualTo(notebookRows(seqs, 4));
    }

    @Test
    void theOrderIsAFunctionOfTheSeedAndARestoredReaderContinuesExactly(@TempDir java.nio.file.Path dir)
            throws Exception {
        String part = writePart(dir, sequences(7));
        List<SequenceRow> a = readAll(new UserSequenceRows(part, USERS, ITEMS, MAX_HISTORY, 0, 0, 64, 1));
        List<SequenceRow> b = readAll(new UserSequenceRows(part, USERS, ITEMS, MAX_HISTORY, 0, 0, 64, 1));
        List<SequenceRow> otherEpoch = readAll(new UserSequenceRows(part, USERS, ITEMS, MAX_HISTORY, 0, 0, 64, 2));
        assertThat(ids(a)).isEqualTo(ids(b)).isNotEqualTo(ids(otherEpoch));
        // A reader restored after 333 rows (it skips them) emits exactly the rest.
        UserSequenceRows restored = new UserSequenceRows(part, USERS, ITEMS, MAX_HISTORY, 0, 0, 64, 1);
        restored.skip(333);
        assertThat(ids(rowsOnly(readRecords(restored)))).isEqualTo(ids(a).subList(333, a.size()));
    }

    /** A buffer of 64 rows still mixes users: the first 64 rows emitted come from many users, not one or two. */
    @Test
    void aSmallBufferStillMixesUsers(@TempDir java.nio.file.Path dir) throws Exception {
        String part = writePart(dir, sequences(8));
        List<SequenceRow> rows = readAll(new UserSequenceRows(part, USERS, ITEMS, MAX_HISTORY, 0, 0, 64, 3));
        assertThat(rows.subList(0, 64).stream().map(r -> r.user).distinct().count()).isGreaterThan(5);
    }

    @Test
    void badValuesNameThePartTheRowAndTheColumn(@TempDir java.nio.file.Path dir) throws Exception {
        int[][] seqs = sequences(9);
        String part = writePart(dir, seqs);
        assertThatThrownBy(() -> readAll(new UserSequenceRows(part, USERS, 10, MAX_HISTORY, 0, 0, 64, 1)))
                .hasMessageContaining(part).hasMessageContaining("row ").hasMessageContaining("column 'item_idx'")
                .hasMessageContaining("outside the id map");
        assertThatThrownBy(() -> UserSequenceRows.count(part, 50, ITEMS, MAX_HISTORY, 0, 0, new BitSet()))
                .hasMessageContaining(part).hasMessageContaining("column 'user_idx'").hasMessageContaining("user index");
        // The same user in two parts.
        java.nio.file.Path other = dir.resolve("second");
        java.nio.file.Files.createDirectories(other);
        String second = writePart(other, seqs);
        BitSet seen = new BitSet();
        UserSequenceRows.count(part, USERS, ITEMS, MAX_HISTORY, 0, 0, seen);
        assertThatThrownBy(() -> UserSequenceRows.count(second, USERS, ITEMS, MAX_HISTORY, 0, 0, seen))
                .hasMessageContaining(second).hasMessageContaining("row 0").hasMessageContaining("appears a second time");
        // A file of the notebook's layout where a part is expected: the missing column is named.
        Path notebook = new Path(dir.resolve("notebook.parquet").toString());
        io.twotower.connectors.dataset.Sequences s = new io.twotower.connectors.dataset.Sequences(1);
        s.add(0, 1, new int[] {2}, 0, 1);
        io.twotower.connectors.dataset.SequenceFiles.write(notebook, s);
        assertThatThrownBy(() -> UserSequenceRows.count(notebook.toString(), USERS, ITEMS, MAX_HISTORY, 0, 0, null))
                .hasMessageContaining(notebook.toString()).hasMessageContaining("missing column 'item_idx'");
    }

    /**
     * Parts written by other tools: pyarrow's list schema (optional list, optional element, int64 ids) reads the same;
     * a null element, a null user and a user column of another type fail naming the part, row and column.
     */
    @Test
    void otherWritersSchemasReadAndTheirNullsAndTypesFailClearly(@TempDir java.nio.file.Path dir) throws Exception {
        org.apache.parquet.schema.MessageType arrow = org.apache.parquet.schema.Types.buildMessage()
                .optional(org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName.INT64).named("user_idx")
                .optionalGroup().as(org.apache.parquet.schema.LogicalTypeAnnotation.listType())
                .repeatedGroup().optional(org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName.INT64)
                .named("element").named("list").named("item_idx")
                .named("schema");
        Path good = writeArrow(dir.resolve("arrow.parquet"), arrow, new long[][] {{3, 4, 5}, {7}}, -1, -1);
        List<SequenceRow> rows = readAll(new UserSequenceRows(good.toString(), USERS, ITEMS, MAX_HISTORY, 0, 0, 10, 1));
        assertThat(multiset(rows)).isEqualTo(Map.of(key(0, 3, new int[0]), 1, key(0, 4, new int[] {3}), 1,
                key(0, 5, new int[] {3, 4}), 1, key(1, 7, new int[0]), 1));
        Path nullElement = writeArrow(dir.resolve("null-element.parquet"), arrow, new long[][] {{3, 4}, {7, 8}}, 1, -1);
        assertThatThrownBy(() -> readAll(new UserSequenceRows(nullElement.toString(), USERS, ITEMS, MAX_HISTORY, 0, 0,
                10, 1))).hasMessageContaining(nullElement.toString()).hasMessageContaining("row 1")
                .hasMessageContaining("column 'item_idx'").hasMessageContaining("element 1 is null");
        Path nullUser = writeArrow(dir.resolve("null-user.parquet"), arrow, new long[][] {{3}, {7}}, -1, 1);
        assertThatThrownBy(() -> readAll(new UserSequenceRows(nullUser.toString(), USERS, ITEMS, MAX_HISTORY, 0, 0,
                10, 1))).hasMessageContaining("row 1").hasMessageContaining("column 'user_idx'")
                .hasMessageContaining("null");
        // A part whose user ids are text (e.g. raw ids instead of the id map's indices).
        org.apache.parquet.schema.MessageType text = org.apache.parquet.schema.Types.buildMessage()
                .required(org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName.BINARY)
                .as(org.apache.parquet.schema.LogicalTypeAnnotation.stringType()).named("user_idx")
                .requiredGroup().as(org.apache.parquet.schema.LogicalTypeAnnotation.listType())
                .repeatedGroup().required(org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName.INT32)
                .named("element").named("list").named("item_idx")
                .named("schema");
        Path textUsers = new Path(dir.resolve("text-users.parquet").toString());
        try (org.apache.parquet.hadoop.ParquetWriter<org.apache.parquet.example.data.Group> w =
                org.apache.parquet.hadoop.example.ExampleParquetWriter.builder(
                        new io.twotower.connectors.parquet.FlinkOutputFile(textUsers)).withType(text).build()) {
            org.apache.parquet.example.data.Group g = new org.apache.parquet.example.data.simple.SimpleGroupFactory(text)
                    .newGroup().append("user_idx", "u1");
            g.addGroup("item_idx").addGroup("list").append("element", 3);
            w.write(g);
        }
        assertThatThrownBy(() -> UserSequenceRows.count(textUsers.toString(), USERS, ITEMS, MAX_HISTORY, 0, 0, null))
                .hasMessageContaining(textUsers.toString()).hasMessageContaining("column 'user_idx' must be int32 or int64");
    }

    /** Users 0, 1, ... with {@code seqs}; element {@code nullElementOfRow1} of row 1 and the user of row {@code nullUserRow} null. */
    private static Path writeArrow(java.nio.file.Path file, org.apache.parquet.schema.MessageType schema, long[][] seqs,
            int nullElementOfRow1, int nullUserRow) throws IOException {
        Path path = new Path(file.toString());
        org.apache.parquet.example.data.simple.SimpleGroupFactory groups =
                new org.apache.parquet.example.data.simple.SimpleGroupFactory(schema);
        try (org.apache.parquet.hadoop.ParquetWriter<org.apache.parquet.example.data.Group> w =
                org.apache.parquet.hadoop.example.ExampleParquetWriter.builder(
                        new io.twotower.connectors.parquet.FlinkOutputFile(path)).withType(schema).build()) {
            for (int u = 0; u < seqs.length; u++) {
                org.apache.parquet.example.data.Group g = groups.newGroup();
                if (u != nullUserRow) {
                    g.append("user_idx", (long) u);
                }
                org.apache.parquet.example.data.Group list = g.addGroup("item_idx");
                for (int i = 0; i < seqs[u].length; i++) {
                    org.apache.parquet.example.data.Group e = list.addGroup("list");
                    if (!(u == 1 && i == nullElementOfRow1)) {
                        e.append("element", seqs[u][i]);
                    }
                }
                w.write(g);
            }
        }
        return path;
    }

    private static List<Long> ids(List<SequenceRow> rows) {
        return rows.stream().map(r -> r.rowId).toList();
    }

    /**
     * The parts of an epoch are read as one pool of row groups: every row of every part once (the notebook's
     * rows), users of both parts mixed from the first rows on (not one part after the other), a seeded order, and a
     * restored reader that skips the rows it emitted continues exactly; an empty part changes nothing.
     */
    @Test
    void partsReadTogetherMixFromTheStartAndResumeExactly(@TempDir java.nio.file.Path dir) throws Exception {
        int[][] seqs = sequences(8);
        // Parts 0 and 2 by parity of the user; part 1 stays empty.
        List<String> parts = writeParts(dir, seqs, 3, u -> u % 2 == 0 ? 0 : 2);
        List<SequenceRow> all = readAll(new UserSequenceRows(parts, USERS, ITEMS, MAX_HISTORY, 0, 0, 64, 5));
        assertThat(multiset(all)).isEqualTo(notebookRows(seqs, 0));
        // The first tenth of the epoch already holds users of both parts.
        java.util.Set<Integer> parities = new java.util.HashSet<>();
        for (SequenceRow r : all.subList(0, all.size() / 10)) {
            parities.add(r.user % 2);
        }
        assertThat(parities).containsExactlyInAnyOrder(0, 1);
        List<SequenceRow> again = readAll(new UserSequenceRows(parts, USERS, ITEMS, MAX_HISTORY, 0, 0, 64, 5));
        assertThat(again).usingRecursiveFieldByFieldElementComparator().isEqualTo(all);
        // Restored after 333 rows: the same rows, and the sequences it sends again and those sent before the
        // checkpoint (in the sampler's keyed state, restored with it) give every later row its history.
        List<SequenceRow> records = readRecords(new UserSequenceRows(parts, USERS, ITEMS, MAX_HISTORY, 0, 0, 64, 5));
        RowHistories state = new RowHistories(MAX_HISTORY);
        int rowsSeen = 0;
        for (SequenceRow r : records) {
            if (rowsSeen == 333) {
                break;
            }
            if (state.accept(r)) {
                rowsSeen++;
            }
        }
        UserSequenceRows restored = new UserSequenceRows(parts, USERS, ITEMS, MAX_HISTORY, 0, 0, 64, 5);
        restored.skip(333);
        List<SequenceRow> rest = new ArrayList<>();
        for (SequenceRow r : readRecords(restored)) {
            if (state.accept(r)) {
                rest.add(r);
            }
        }
        assertThat(state.inFlight()).isZero();
        assertThat(rest).usingRecursiveFieldByFieldElementComparator().isEqualTo(all.subList(333, all.size()));
    }
}
