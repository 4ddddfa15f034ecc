package io.twotower.connectors.source;

import org.apache.flink.core.io.InputStatus;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Parallel readers of the compact layout: merged splits number one epoch together, each reader stays within its
 * read-ahead of the trainer's progress, and a restored reader continues exactly.
 */
class ParallelReadersTest {
    private static final int USERS = 120;
    private static final int ITEMS = 300;
    private static final int MAX_HISTORY = 6;
    private static final long READ_AHEAD = 40;

    /** Three parts (users by u mod 3), tiny row groups. */
    private static List<String> writeParts(java.nio.file.Path dir, int[][] seqs) throws Exception {
        return UserSequenceRowsTest.writeParts(dir, seqs, 3, u -> u % 3);
    }

    private static long rows(String part) throws Exception {
        return UserSequenceRows.count(part, USERS, ITEMS, MAX_HISTORY, 0, 0, null);
    }

    private static EpochSequenceReader reader() {
        return new EpochSequenceReader(USERS, ITEMS, 5, 0, 0, TrainingLayout.userSequences(MAX_HISTORY, 64), READ_AHEAD);
    }

    /** Reader 0 reads parts 0 and 2, reader 1 part 1, as the enumerator would hand out epoch 0 to two readers. */
    private static List<SequenceSplit> splits(List<String> parts) throws Exception {
        long[] readerRows = {rows(parts.get(0)) + rows(parts.get(2)), rows(parts.get(1))};
        return List.of(SequenceSplit.merged(0, 0, List.of(parts.get(0), parts.get(2)), 0, 0, readerRows),
                SequenceSplit.merged(0, 1, List.of(parts.get(1)), 0, 1, readerRows));
    }

    @Test
    void readersNumberOneEpochTogetherAndWaitForTheTrainer(@TempDir java.nio.file.Path dir) throws Exception {
        int[][] seqs = UserSequenceRowsTest.sequences(11);
        List<String> parts = writeParts(dir, seqs);
        List<SequenceSplit> splits = splits(parts);
        long total = splits.get(0).readerRows[0] + splits.get(0).readerRows[1];
        EpochSequenceReaderDriver[] drivers = {new EpochSequenceReaderDriver(reader()),
                new EpochSequenceReaderDriver(reader())};
        for (int r = 0; r < 2; r++) {
            drivers[r].reader().addSplits(List.of(splits.get(r), SequenceSplit.endOfEpoch(0, r)));
            drivers[r].reader().notifyNoMoreSplits();
        }
        // Without any progress a reader emits only the positions below the read-ahead, then waits.
        for (EpochSequenceReaderDriver d : drivers) {
            d.drain();
            assertThat(d.rows).isNotEmpty().allSatisfy(e -> assertThat(e.position).isLessThan(READ_AHEAD));
            assertThat(d.reader().isAvailable()).isNotDone();
        }
        assertThat(drivers[0].rows.size() + drivers[1].rows.size()).isEqualTo(READ_AHEAD);
        // The trainer takes everything in position order, reporting its progress now and then, as it does.
        Map<Long, EpochSequenceReaderDriver.Emitted> byPosition = new HashMap<>();
        int[] consumed = new int[2];
        long released = 0;
        while (released < total) {
            for (int r = 0; r < 2; r++) {
                for (; consumed[r] < drivers[r].rows.size(); consumed[r]++) {
                    EpochSequenceReaderDriver.Emitted e = drivers[r].rows.get(consumed[r]);
                    assertThat(byPosition.put(e.position, e)).as("position %d twice", e.position).isNull();
                }
            }
            long before = released;
            while (byPosition.containsKey(released)) {
                released++;
            }
            assertThat(released).as("the next position is always readable: no deadlock").isGreaterThan(before);
            for (EpochSequenceReaderDriver d : drivers) {
                d.reader().handleSourceEvents(new TrainerProgressEvent(0, released));
                assertThat(d.reader().isAvailable()).isDone();
                d.drain();
            }
            long limit = released + READ_AHEAD;
            for (EpochSequenceReaderDriver d : drivers) {
                assertThat(d.rows).allSatisfy(e -> assertThat(e.position).isLessThan(limit));
            }
        }
        assertThat(byPosition.keySet()).hasSize((int) total);
        for (EpochSequenceReaderDriver d : drivers) {
            assertThat(d.reader().pollNext(d)).isEqualTo(InputStatus.END_OF_INPUT);
            assertThat(d.watermarks).containsExactly(0L);
            assertThat(d.rows).isSortedAccordingTo(Comparator.comparingLong(e -> e.position));
        }
        // Every training row once: the notebook's rows of the same sequences (histories from the user sequences).
        List<SequenceRow> all = new ArrayList<>();
        for (EpochSequenceReaderDriver d : drivers) {
            all.addAll(d.expanded(MAX_HISTORY));
        }
        assertThat(UserSequenceRowsTest.multiset(all)).isEqualTo(UserSequenceRowsTest.notebookRows(seqs, 0));
        // The epoch interleaves the readers from its start (a proportional merge, not one share after the other).
        long firstOfReader1 = drivers[1].rows.get(0).position;
        assertThat(firstOfReader1).isLessThan(5);
    }

    @Test
    void aRestoredReaderContinuesWithTheSamePositions(@TempDir java.nio.file.Path dir) throws Exception {
        List<String> parts = writeParts(dir, UserSequenceRowsTest.sequences(12));
        SequenceSplit split = splits(parts).get(0);
        EpochSequenceReaderDriver whole = new EpochSequenceReaderDriver(reader());
        whole.reader().addSplits(List.of(split));
        whole.reader().handleSourceEvents(new TrainerProgressEvent(1, 0));
        whole.drain();
        assertThat(whole.rows).hasSize((int) split.readerRows[0]);

        EpochSequenceReaderDriver first = new EpochSequenceReaderDriver(reader());
        first.reader().addSplits(List.of(split));
        first.reader().handleSourceEvents(new TrainerProgressEvent(0, 100));
        first.drain();
        List<SequenceSplit> checkpoint = first.reader().snapshotState(1);
        byte[] bytes = new SequenceSplitSerializer().serialize(checkpoint.get(0));
        SequenceSplit restoredSplit = new SequenceSplitSerializer().deserialize(SequenceSplitSerializer.VERSION, bytes);

        EpochSequenceReaderDriver restored = new EpochSequenceReaderDriver(reader());
        restored.reader().addSplits(List.of(restoredSplit));
        // Before the trainer's progress arrives it waits (its next position is beyond the read-ahead).
        restored.drain();
        assertThat(restored.rows).isEmpty();
        restored.reader().handleSourceEvents(new TrainerProgressEvent(1, 0));
        restored.drain();
        List<EpochSequenceReaderDriver.Emitted> resumed = new ArrayList<>(first.rows);
        resumed.addAll(restored.rows);
        assertThat(resumed).isEqualTo(whole.rows);
    }

    @Test
    void aShareWithOtherRowsThanItWasNumberedByFailsNamingTheSplit(@TempDir java.nio.file.Path dir) throws Exception {
        List<String> parts = writeParts(dir, UserSequenceRowsTest.sequences(13));
        long n = rows(parts.get(1));
        for (long counted : new long[] {n - 3, n + 3}) {
            EpochSequenceReaderDriver d = new EpochSequenceReaderDriver(new EpochSequenceReader(USERS, ITEMS, 5, 0, 0,
                    TrainingLayout.userSequences(MAX_HISTORY, 64), 0));
            d.reader().addSplits(List.of(SequenceSplit.merged(0, 1, List.of(parts.get(1)), 0, 1, new long[] {7, counted})));
            assertThatThrownBy(d::drain).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining(parts.get(1))
                    .hasMessageContaining(counted + " rows the epoch was numbered by");
        }
    }
}
