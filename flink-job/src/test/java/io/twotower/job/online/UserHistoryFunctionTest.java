package io.twotower.job.online;

import io.twotower.connectors.kafka.InteractionEvent;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Per-user history in keyed state: capped at max history, expiring after the TTL, restorable across the TTL change. */
class UserHistoryFunctionTest {
    private static final long DAY = 86_400_000L;

    static KeyedOneInputStreamOperatorTestHarness<String, InteractionEvent, OnlineExample> harness(
            int maxHistory, long ttlMillis) throws Exception {
        // Not opened yet, so a test can restore state into it first.
        return new KeyedOneInputStreamOperatorTestHarness<>(
                new KeyedProcessOperator<>(new UserHistoryFunction(maxHistory, ttlMillis)), e -> e.user, Types.STRING);
    }

    static void send(KeyedOneInputStreamOperatorTestHarness<String, InteractionEvent, OnlineExample> h, String user,
            String item) throws Exception {
        h.processElement(new StreamRecord<>(new InteractionEvent(user, item, 1000), 1000));
    }

    /** The history each output example carried, as "a,b,c". */
    static List<String> histories(KeyedOneInputStreamOperatorTestHarness<String, InteractionEvent, OnlineExample> h) {
        return h.extractOutputValues().stream().map(e -> String.join(",", e.history)).collect(Collectors.toList());
    }

    @Test
    void keepsTheLastMaxHistoryItemsPerUser() throws Exception {
        try (var h = harness(2, 0)) {
            h.open();
            send(h, "u1", "a");
            send(h, "u2", "x");
            send(h, "u1", "b");
            send(h, "u1", "c");
            send(h, "u1", "d");
            assertThat(histories(h)).containsExactly("", "", "a", "a,b", "b,c");
        }
    }

    @Test
    void aHistoryExpiresAfterTheTtlWithoutEventsAndAnEventRenewsIt() throws Exception {
        try (var h = harness(50, 30 * DAY)) {
            h.open();
            h.setStateTtlProcessingTime(0);
            send(h, "active", "a");
            send(h, "idle", "x");
            h.setStateTtlProcessingTime(20 * DAY);
            send(h, "active", "b");
            // 40 days: "idle" wrote last at day 0 (expired), "active" at day 20 (alive).
            h.setStateTtlProcessingTime(40 * DAY);
            send(h, "active", "c");
            send(h, "idle", "y");
            assertThat(histories(h)).containsExactly("", "", "a", "a,b", "");
            assertThat(h.numKeyedStateEntries()).isEqualTo(2);
        }
    }

    @Test
    void expiredHistoriesAreLeftOutOfCheckpoints() throws Exception {
        OperatorSubtaskState state;
        try (var h = harness(50, DAY)) {
            h.open();
            h.setStateTtlProcessingTime(0);
            send(h, "gone", "a");
            h.setStateTtlProcessingTime(10 * DAY);
            send(h, "kept", "b");
            state = h.snapshot(1, 1);
        }
        try (var h = harness(50, 0)) {
            h.initializeState(state);
            h.open();
            // Restored without a TTL (Flink 2.2 migrates between TTL and no TTL): only the live history came back.
            assertThat(h.numKeyedStateEntries()).isEqualTo(1);
            send(h, "kept", "c");
            send(h, "gone", "d");
            assertThat(histories(h)).containsExactly("b", "");
        }
    }

    @Test
    void aCheckpointWithoutTtlRestoresIntoAJobWithOne() throws Exception {
        OperatorSubtaskState state;
        try (var h = harness(50, 0)) {
            h.open();
            send(h, "u1", "a");
            state = h.snapshot(1, 1);
        }
        try (var h = harness(50, DAY)) {
            h.initializeState(state);
            h.open();
            h.setStateTtlProcessingTime(0);
            send(h, "u1", "b");
            h.setStateTtlProcessingTime(2 * DAY);
            send(h, "u1", "c");
            assertThat(histories(h)).containsExactly("a", "");
        }
    }

    @Test
    void rejectsANonPositiveMaxHistory() {
        assertThatThrownBy(() -> new UserHistoryFunction(0, 0)).hasMessageContaining("max history");
    }
}
