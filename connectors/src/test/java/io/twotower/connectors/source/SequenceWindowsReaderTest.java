package io.twotower.connectors.source;

import io.twotower.common.SplitMix64;
import io.twotower.connectors.dataset.SequenceFiles;
import io.twotower.connectors.dataset.Sequences;
import io.twotower.connectors.source.EpochSequenceReaderDriver.Emitted;
import org.apache.flink.api.connector.source.SourceReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import static io.twotower.connectors.source.WindowedFiles.NUM_ITEMS;
import static io.twotower.connectors.source.WindowedFiles.NUM_USERS;
import static io.twotower.connectors.source.WindowedFiles.assertTilesEveryPositionOnce;
import static io.twotower.connectors.source.WindowedFiles.userOf;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The source with sequence windows, read from real Parquet files: each epoch predicts every position once, in a
 * seeded order, and a restored reader resumes exactly; without windows it emits every row as before.
 */
class SequenceWindowsReaderTest {
    private static final int CAP = 10;
    private static final long SEED = 42;
    private static final int[] FIRST_FILE = {1, 2, 3, 9, 10, 11, 12, 23, 47, 100};
    /** Users of slots from {@link #FIRST_FILE}'s end. */
    private static final int[] SECOND_FILE = {5, 31, 2, 64, 11};

    @TempDir
    Path dir;

    private List<String> twoFiles() throws Exception {
        return List.of(WindowedFiles.write(dir, "part-0.parquet", WindowedFiles.rows(0, FIRST_FILE, CAP)),
                WindowedFiles.write(dir, "part-1.parquet", WindowedFiles.rows(FIRST_FILE.length, SECOND_FILE, CAP)));
    }

    private static SourceReader<SequenceRow, SequenceSplit> reader(List<String> files, long seed, int windows) {
        return EpochSequenceSource.builder()
                .setFiles(files)
                .setCatalog(NUM_USERS, NUM_ITEMS)
                .setEpochs(3)
                .setSeed(seed)
                .setSequenceWindows(windows)
                .build()
                .createReader(null);
    }

    private static List<SequenceSplit> epoch(int epoch, List<String> files) {
        List<SequenceSplit> splits = new ArrayList<>();
        for (int i = 0; i < files.size(); i++) {
            splits.add(SequenceSplit.file(epoch, i, files.get(i), 0));
        }
        splits.add(SequenceSplit.endOfEpoch(epoch, 0));
        return splits;
    }

    /** Every row {@code reader} emits over epochs 0 .. epochs-1, each one's rows in order. */
    private static List<List<Emitted>> readEpochs(List<String> files, long seed, int windows, int epochs)
            throws Exception {
        EpochSequenceReaderDriver driver = new EpochSequenceReaderDriver(reader(files, seed, windows));
        List<List<Emitted>> out = new ArrayList<>();
        for (int e = 0; e < epochs; e++) {
            driver.rows.clear();
            driver.reader().addSplits(epoch(e, files));
            driver.drain();
            out.add(new ArrayList<>(driver.rows));
        }
        assertThat(driver.watermarks).hasSize(epochs);
        for (int e = 0; e < epochs; e++) {
            assertThat(driver.watermarks.get(e)).isEqualTo(e);
        }
        return out;
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 4, 10, 25})
    void everyEpochPredictsEveryPositionOnce(int maxLength) throws Exception {
        List<String> files = twoFiles();
        List<List<Emitted>> epochs = readEpochs(files, SEED, maxLength, 2);
        int[] lengths = new int[FIRST_FILE.length + SECOND_FILE.length];
        System.arraycopy(FIRST_FILE, 0, lengths, 0, FIRST_FILE.length);
        System.arraycopy(SECOND_FILE, 0, lengths, FIRST_FILE.length, SECOND_FILE.length);
        long windows = SequenceWindows.count(files, NUM_USERS, NUM_ITEMS, maxLength);
        for (int e = 0; e < epochs.size(); e++) {
            List<Emitted> rows = epochs.get(e);
            assertTilesEveryPositionOnce(rows, 0, lengths, maxLength);
            assertThat(rows).hasSize((int) windows);
            for (int i = 0; i < rows.size(); i++) {
                assertThat(rows.get(i).position).isEqualTo(i);
                assertThat(rows.get(i).epoch).isEqualTo(e);
            }
        }
    }

    @Test
    void rowIdsAreTheRowsIndicesInTheirFiles() throws Exception {
        List<String> files = twoFiles();
        Set<Long> expected = new HashSet<>();
        for (int f = 0; f < files.size(); f++) {
            Sequences rows = SequenceFiles.read(new org.apache.flink.core.fs.Path(files.get(f)), NUM_USERS, NUM_ITEMS);
            for (int r : SequenceWindows.select(rows, 4, files.get(f))) {
                expected.add(((long) f << 40) | r);
            }
        }
        List<Emitted> rows = readEpochs(files, SEED, 4, 1).get(0);
        assertThat(rows.stream().map(e -> e.rowId).collect(Collectors.toSet())).isEqualTo(expected);
    }

    @Test
    void everyEpochEmitsTheSameRowsInItsOwnSeededOrder() throws Exception {
        List<String> files = twoFiles();
        List<List<Emitted>> run = readEpochs(files, SEED, 6, 3);
        assertThat(readEpochs(files, SEED, 6, 3)).isEqualTo(run);
        Set<Long> first = rowIds(run.get(0)).stream().collect(Collectors.toSet());
        for (int e = 1; e < run.size(); e++) {
            assertThat(rowIds(run.get(e))).containsExactlyInAnyOrderElementsOf(first);
            assertThat(rowIds(run.get(e))).isNotEqualTo(rowIds(run.get(0)));
        }
        assertThat(rowIds(readEpochs(files, SEED + 1, 6, 1).get(0))).isNotEqualTo(rowIds(run.get(0)));
    }

    private static List<Long> rowIds(List<Emitted> rows) {
        return rows.stream().map(e -> e.rowId).collect(Collectors.toList());
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 7, 46, 50})
    void aRestoredReaderResumesExactly(int readBeforeCheckpoint) throws Exception {
        // 46 windows of length 5 in the first file: 7 is inside it, 46 at its end, 50 inside the second
        List<String> files = twoFiles();
        List<List<Emitted>> reference = readEpochs(files, SEED, 5, 2);
        assertThat(reference.get(0).stream().filter(e -> e.rowId >> 40 == 0).count()).isEqualTo(46);

        EpochSequenceReaderDriver before = new EpochSequenceReaderDriver(reader(files, SEED, 5));
        before.reader().addSplits(epoch(0, files));
        before.read(readBeforeCheckpoint);
        SequenceSplitSerializer serializer = new SequenceSplitSerializer();
        List<SequenceSplit> restored = new ArrayList<>();
        for (SequenceSplit split : before.reader().snapshotState(1)) {
            restored.add(serializer.deserialize(serializer.getVersion(), serializer.serialize(split)));
        }

        EpochSequenceReaderDriver after = new EpochSequenceReaderDriver(reader(files, SEED, 5));
        after.reader().addSplits(restored);
        after.drain();
        after.reader().addSplits(epoch(1, files));
        after.drain();

        List<Emitted> resumed = new ArrayList<>(before.rows);
        resumed.addAll(after.rows);
        List<Emitted> expected = new ArrayList<>(reference.get(0));
        expected.addAll(reference.get(1));
        assertThat(resumed).isEqualTo(expected);
        assertThat(after.watermarks).containsExactly(0L, 1L);
    }

    @Test
    void aFileThatCannotBeTiledFailsNamingFileRowAndUser() throws Exception {
        Sequences good = WindowedFiles.rows(0, new int[] {3, 4}, CAP);
        Sequences rows = new Sequences(8);
        for (int r : new int[] {0, 1, 2, 3, 5, 4, 6}) {
            rows.add(good.user(r), good.positive(r), good.history(r), 0, good.historyLength(r));
        }
        String file = WindowedFiles.write(dir, "shuffled.parquet", rows);
        EpochSequenceReaderDriver driver = new EpochSequenceReaderDriver(reader(List.of(file), SEED, 3));
        driver.reader().addSplits(epoch(0, List.of(file)));
        assertThatThrownBy(driver::drain)
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith(file + ": row 4, user " + userOf(1) + ": ")
                .hasMessageContaining("model: sequence");
        // every row is still read without windows: the layout is only needed to tile
        EpochSequenceReaderDriver plain = new EpochSequenceReaderDriver(reader(List.of(file), SEED, 0));
        plain.reader().addSplits(epoch(0, List.of(file)));
        plain.drain();
        assertThat(plain.rows).hasSize(7);
    }

    @Test
    void withoutWindowsEveryRowIsEmittedInTheSeededOrder() throws Exception {
        List<String> files = twoFiles();
        List<Emitted> rows = readEpochs(files, SEED, 0, 1).get(0);
        List<Long> expected = new ArrayList<>();
        int[] sizes = {sum(FIRST_FILE), sum(SECOND_FILE)};
        for (int f = 0; f < sizes.length; f++) {
            for (int r : NotebookFileRows.shuffledOrder(sizes[f], SplitMix64.mix(SEED, 0, f))) {
                expected.add(((long) f << 40) | r);
            }
        }
        assertThat(rowIds(rows)).isEqualTo(expected);
    }

    private static int sum(int[] values) {
        int s = 0;
        for (int v : values) {
            s += v;
        }
        return s;
    }
}
