package io.twotower.job.train;

import io.twotower.connectors.source.SequenceRow;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The sampler keeps a compact-layout user's sequence in keyed state: it cuts each row's history from it, clears it
 * after the user's last row, restores it from a checkpoint, and names a row that came before its sequence.
 */
class NegativeSamplingFunctionTest {
    private static final int MAX_HISTORY = 2;

    private static KeyedOneInputStreamOperatorTestHarness<Integer, SequenceRow, TrainingExample> harness()
            throws Exception {
        return new KeyedOneInputStreamOperatorTestHarness<>(
                new KeyedProcessOperator<>(new NegativeSamplingFunction(50, 3, 7, 10, MAX_HISTORY)), r -> r.user,
                Types.INT);
    }

    private static SequenceRow sequence(int user, int[] items) {
        SequenceRow r = new SequenceRow();
        r.user = user;
        r.sequence = items;
        return r;
    }

    private static SequenceRow row(int user, int[] items, int t, long position, boolean last) {
        SequenceRow r = new SequenceRow(user, items[t], null, 0, ((long) user << 24) | t, position);
        r.t = t;
        r.last = last;
        return r;
    }

    private static List<String> histories(KeyedOneInputStreamOperatorTestHarness<Integer, SequenceRow, TrainingExample> h) {
        return h.extractOutputValues().stream().map(e -> e.user + ":" + e.positive + ":" + Arrays.toString(e.history))
                .toList();
    }

    @Test
    void cutsEachRowsHistoryFromTheKeyedSequenceAndClearsItAfterTheLastRow() throws Exception {
        int[] a = {10, 11, 12, 13};
        int[] b = {20, 21};
        try (var h = harness()) {
            h.open();
            h.processElement(new StreamRecord<>(sequence(1, a)));
            h.processElement(new StreamRecord<>(sequence(2, b)));
            h.processElement(new StreamRecord<>(row(1, a, 3, 0, false)));
            h.processElement(new StreamRecord<>(row(2, b, 0, 1, false)));
            h.processElement(new StreamRecord<>(row(1, a, 0, 2, false)));
            assertThat(h.numKeyedStateEntries()).as("two users' sequences").isEqualTo(2);
            h.processElement(new StreamRecord<>(row(2, b, 1, 3, true)));
            assertThat(h.numKeyedStateEntries()).as("user 2's last row passed").isEqualTo(1);
            h.processElement(new StreamRecord<>(row(1, a, 1, 4, false)));
            h.processElement(new StreamRecord<>(row(1, a, 2, 5, true)));
            assertThat(h.numKeyedStateEntries()).isZero();
            assertThat(histories(h)).containsExactly("1:13:[11, 12]", "2:20:[]", "1:10:[]", "2:21:[20]", "1:11:[10]",
                    "1:12:[10, 11]");
            // Negatives exclude the row's history and positive.
            for (TrainingExample e : h.extractOutputValues()) {
                assertThat(e.negatives).hasSize(3).doesNotContain(e.positive);
                for (int item : e.history) {
                    assertThat(e.negatives).doesNotContain(item);
                }
            }
        }
    }

    @Test
    void aRestoredSamplerHasTheSequencesOfTheCheckpointAndARowWithoutOneFails() throws Exception {
        int[] a = {10, 11, 12};
        OperatorSubtaskState snapshot;
        try (var h = harness()) {
            h.open();
            h.processElement(new StreamRecord<>(sequence(1, a)));
            h.processElement(new StreamRecord<>(row(1, a, 1, 0, false)));
            snapshot = h.snapshot(1, 1);
        }
        try (var h = harness()) {
            h.initializeState(snapshot);
            h.open();
            h.processElement(new StreamRecord<>(row(1, a, 2, 1, true)));
            assertThat(histories(h)).containsExactly("1:12:[10, 11]");
            assertThatThrownBy(() -> h.processElement(new StreamRecord<>(row(3, new int[] {5}, 0, 2, true))))
                    .hasMessageContaining("user 3").hasMessageContaining("arrived before the user's sequence");
        }
    }
}
