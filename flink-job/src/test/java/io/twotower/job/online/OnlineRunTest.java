package io.twotower.job.online;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;

import static org.assertj.core.api.Assertions.assertThat;

/** An online run's bookkeeping round-trips through its checkpoint format (version 3), field for field. */
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
        run.windowLines.add("{\"window_start\":0}");
        run.totals.events = 100;
        run.totals.hits = 7;
        run.totals.hitsExcludeHistory = 8;
        run.totals.acceptedRecall = 0.07;
        run.totals.bestRecall = 0.09;
        run.totals.closedUntil = 3_600_000;
        run.totals.restoredAtEvents.add(42L);
        run.latestHistories.put(3, new int[] {5, 6, 7});
        run.totals.lastPublishedWindowEnd = 7_200_000;
        run.totals.trainedAtLastPublication = 90;
        run.totals.ranked = 60;
        run.totals.batches = 4;
        run.totals.consecutiveRegressions = 2;
        w.ranked = 8;

        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        run.write(new DataOutputStream(bytes));
        OnlineRun back = OnlineRun.read(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())), 3, 0);

        assertThat(back).usingRecursiveComparison().isEqualTo(run);
    }

    @Test
    void aVersion2CheckpointRestoresWithoutACadenceAndPublishesAtTheNextWindow() throws IOException {
        OnlineRun run = new OnlineRun();
        run.totals.trained = 50;
        run.totals.events = 53;
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        run.write(new DataOutputStream(bytes));
        // Version 2 wrote the same fields up to the cadence: drop the last four longs and the int (no open window).
        byte[] v2 = java.util.Arrays.copyOf(bytes.toByteArray(), bytes.size() - 36);
        OnlineRun back = OnlineRun.read(new DataInputStream(new ByteArrayInputStream(v2)), 2, 0);
        assertThat(back.totals.trained).isEqualTo(50);
        assertThat(back.totals.ranked).isEqualTo(53);
        assertThat(back.totals.lastPublishedWindowEnd).isEqualTo(Long.MIN_VALUE);
        assertThat(new SnapshotCadence(1, 3_600_000, 10).due(back.totals, 1_000, false)).isTrue();
    }
}
