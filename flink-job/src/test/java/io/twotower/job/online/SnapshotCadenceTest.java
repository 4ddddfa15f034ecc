package io.twotower.job.online;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SnapshotCadenceTest {
    private static final long HOUR = 3_600_000L;

    /** Closes windows of one hour with {@code eventsPerWindow} trained each; returns which published. */
    private static String publications(SnapshotCadence cadence, long... eventsPerWindow) {
        OnlineRun.Totals totals = new OnlineRun.Totals();
        StringBuilder published = new StringBuilder();
        for (int i = 0; i < eventsPerWindow.length; i++) {
            totals.trained += eventsPerWindow[i];
            totals.windows++;
            long end = (i + 1) * HOUR;
            boolean last = i == eventsPerWindow.length - 1;
            if (cadence.due(totals, end, last)) {
                SnapshotCadence.published(totals, end);
                published.append(i + 1).append(' ');
            }
        }
        return published.toString().trim();
    }

    @Test
    void byDefaultEveryWindowPublishes() {
        assertThat(publications(new SnapshotCadence(1, 0, 0), 1, 0, 2, 5)).isEqualTo("1 2 3 4");
    }

    @Test
    void everyNthWindow() {
        assertThat(publications(new SnapshotCadence(2, 0, 0), 1, 1, 1, 1, 1, 0)).isEqualTo("2 4 6");
    }

    @Test
    void aMinimumIntervalOfEventTimeBetweenPublications() {
        // The first publishes, then not before 6 h of event time later; the bounded run's last window publishes
        // because something was trained since the last publication.
        assertThat(publications(new SnapshotCadence(1, 6 * HOUR, 0), 1, 1, 1, 1, 1, 1, 1, 1, 1))
                .isEqualTo("1 7 9");
    }

    @Test
    void aMinimumOfTrainedEventsBetweenPublications() {
        assertThat(publications(new SnapshotCadence(1, 0, 10), 4, 4, 4, 20, 1, 0)).isEqualTo("3 4 6");
    }

    @Test
    void theLastWindowDoesNotRepublishWhenNothingWasTrainedSince() {
        assertThat(publications(new SnapshotCadence(1, 0, 10), 10, 0)).isEqualTo("1");
    }
}
