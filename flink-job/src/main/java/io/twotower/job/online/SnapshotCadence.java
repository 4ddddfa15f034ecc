package io.twotower.job.online;

/**
 * When {@code online} publishes a snapshot: at the close of every {@code --snapshot-every}-th window, once at
 * least {@code --snapshot-min-interval} of event time and {@code --snapshot-min-events} trained events have passed
 * since the last publication. A replayed log with 1-hour windows has hundreds of windows of one or two events, and
 * at a million items every publication writes about a gigabyte: the minimums keep that to what readers need.
 * The last window of a bounded run ({@code --until-latest}) publishes whenever anything was trained since, so the
 * final model is never left unpublished.
 */
final class SnapshotCadence {
    private final int everyWindows;
    private final long minIntervalMillis;
    private final long minEvents;

    SnapshotCadence(OnlineSpec spec) {
        this(spec.snapshotEveryWindows, spec.snapshotMinIntervalMillis, spec.snapshotMinEvents);
    }

    SnapshotCadence(int everyWindows, long minIntervalMillis, long minEvents) {
        this.everyWindows = everyWindows;
        this.minIntervalMillis = minIntervalMillis;
        this.minEvents = minEvents;
    }

    /** Whether the window ending at {@code windowEnd}, the {@code totals.windows}-th closed, publishes. */
    boolean due(OnlineRun.Totals totals, long windowEnd, boolean lastOfBoundedRun) {
        long trainedSince = totals.trained - totals.trainedAtLastPublication;
        if (lastOfBoundedRun && trainedSince > 0) {
            return true;
        }
        boolean first = totals.lastPublishedWindowEnd == Long.MIN_VALUE;
        return totals.windows % everyWindows == 0
                && (first || windowEnd - totals.lastPublishedWindowEnd >= minIntervalMillis)
                && trainedSince >= minEvents;
    }

    /** Records a publication for the window ending at {@code windowEnd}. */
    static void published(OnlineRun.Totals totals, long windowEnd) {
        totals.lastPublishedWindowEnd = windowEnd;
        totals.trainedAtLastPublication = totals.trained;
    }
}
