package io.twotower.job.online;

import io.twotower.job.trainer.StateStreams;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** An online run's bookkeeping round-trips through its checkpoint format (version 4), field for field; 1 to 3 still read. */
class OnlineRunTest {
    @Test
    void roundTripsWindowsTotalsAndHistories() throws IOException {
        OnlineRun run = new OnlineRun();
        OnlineRun.WindowStats w = new OnlineRun.WindowStats();
        w.start = 3_600_000;
        w.events = 10;
        w.hits = 2;
        w.hitsExcludeHistory = 3;
        w.trained = 9;
        w.skipped = 1;
        w.newUsers = 4;
        w.newItems = 5;
        w.lossSum = 27.5;
        w.firstArrivalMs = 11;
        w.lastArrivalMs = 99;
        run.open.put(w.start, w);
        run.windowLog.recent.add("{\"window_start\":0}");
        run.windowLog.recent.add("{\"window_start\":1}");
        run.windowLog.inCurrent = 1;
        run.windowLog.rolled = 4;
        run.totals.events = 100;
        run.totals.hits = 7;
        run.totals.hitsExcludeHistory = 8;
        run.totals.acceptedRecall = 0.07;
        run.totals.bestRecall = 0.09;
        run.totals.closedUntil = 3_600_000;
        run.restored(42L);
        run.latestHistories.put(3, new int[] {5, 6, 7});
        run.totals.lastPublishedWindowEnd = 7_200_000;
        run.totals.trainedAtLastPublication = 90;
        run.totals.ranked = 60;
        run.totals.batches = 4;
        run.totals.consecutiveRegressions = 2;
        w.ranked = 8;

        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        run.write(new DataOutputStream(bytes));
        OnlineRun back = OnlineRun.read(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())), 4, 0);

        assertThat(back).usingRecursiveComparison().isEqualTo(run);
        assertThat(back.legacyWindowLines).isNull();
    }

    @Test
    void onlyTheNewestRestoresAreListedButAllAreCounted() {
        OnlineRun run = new OnlineRun();
        for (int i = 0; i < OnlineRun.MAX_RESTORES_LISTED + 5; i++) {
            run.restored(i);
        }
        assertThat(run.totals.restores).isEqualTo(OnlineRun.MAX_RESTORES_LISTED + 5);
        assertThat(run.totals.restoredAtEvents).hasSize(OnlineRun.MAX_RESTORES_LISTED).startsWith(5L);
    }

    /** Version 3's layout, written by hand: every window line after the open windows, no count of restores. */
    static byte[] version3(OnlineRun run, List<String> windowLines) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.writeInt(0);
        out.writeInt(windowLines.size());
        for (String line : windowLines) {
            StateStreams.writeText(out, line);
        }
        OnlineRun.Totals t = run.totals;
        for (long v : new long[] {t.events, t.hits, t.trained, t.skipped, t.deadLettered, t.newUsers, t.newItems,
                t.windows}) {
            out.writeLong(v);
        }
        out.writeDouble(t.bestRecall);
        for (long v : new long[] {t.closedUntil, t.late, t.snapshotSequence, t.latestSequence}) {
            out.writeLong(v);
        }
        out.writeInt(t.restoredAtEvents.size());
        for (long r : t.restoredAtEvents) {
            out.writeLong(r);
        }
        out.writeInt(0);
        out.writeDouble(t.acceptedRecall);
        out.writeLong(t.hitsExcludeHistory);
        for (long v : new long[] {t.lastPublishedWindowEnd, t.trainedAtLastPublication, t.ranked, t.batches}) {
            out.writeLong(v);
        }
        out.writeInt(t.consecutiveRegressions);
        out.flush();
        return bytes.toByteArray();
    }

    @Test
    void aVersion3CheckpointKeepsEveryWindowLineForTheOperatorToRoll() throws IOException {
        OnlineRun run = new OnlineRun();
        run.totals.events = 70;
        run.totals.trained = 69;
        run.totals.windows = 2;
        run.totals.restoredAtEvents.add(10L);
        run.totals.restoredAtEvents.add(30L);
        List<String> lines = List.of("{\"w\":0}", "{\"w\":1}");
        OnlineRun back = OnlineRun.read(new DataInputStream(new ByteArrayInputStream(version3(run, lines))), 3, 0);
        assertThat(back.legacyWindowLines).isEqualTo(lines);
        assertThat(back.totals.trained).isEqualTo(69);
        assertThat(back.totals.windows).isEqualTo(2);
        assertThat(back.totals.restores).isEqualTo(2);
        assertThat(back.totals.restoredAtEvents).containsExactly(10L, 30L);
    }

    @Test
    void aVersion2CheckpointRestoresWithoutACadenceAndPublishesAtTheNextWindow() throws IOException {
        OnlineRun run = new OnlineRun();
        run.totals.trained = 50;
        run.totals.events = 53;
        byte[] v3 = version3(run, List.of());
        // Version 2 wrote the same fields up to the cadence: drop the last four longs and the int (no open window).
        byte[] v2 = java.util.Arrays.copyOf(v3, v3.length - 36);
        OnlineRun back = OnlineRun.read(new DataInputStream(new ByteArrayInputStream(v2)), 2, 0);
        assertThat(back.totals.trained).isEqualTo(50);
        assertThat(back.totals.ranked).isEqualTo(53);
        assertThat(back.totals.lastPublishedWindowEnd).isEqualTo(Long.MIN_VALUE);
        assertThat(new SnapshotCadence(1, 3_600_000, 10).due(back.totals, 1_000, false)).isTrue();
    }
}
