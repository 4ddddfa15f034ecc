package io.twotower.job.online;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static io.twotower.job.trainer.StateStreams.readInts;
import static io.twotower.job.trainer.StateStreams.readText;
import static io.twotower.job.trainer.StateStreams.writeInts;

/**
 * The bookkeeping of an {@code online} run beside the trainer and the vocabularies: the event-time windows still
 * open, the newest lines of windows.jsonl (a bounded {@link WindowLog}), the whole-run totals and each user's
 * latest history (for the history tower's exported user vectors). Checkpointed with the trainer, in the operator's
 * state format. Its size is bounded by the users (one history of at most history_length items each), the open
 * windows and the window log's file size, not by the events or windows of the run.
 */
final class OnlineRun {
    /** Restores kept in restoredAtEvents (the newest); {@link Totals#restores} counts them all. */
    static final int MAX_RESTORES_LISTED = 100;

    /** Open windows by start time. */
    final TreeMap<Long, WindowStats> open = new TreeMap<>();
    /** The closed windows' lines (windows.jsonl and the files it rolled into). */
    WindowLog windowLog = new WindowLog();
    /**
     * Every window line of a checkpoint of versions 1 to 3 (they kept them all), until the operator has moved them
     * into a {@link WindowLog} ({@link WindowLog#migrate}); null otherwise.
     */
    List<String> legacyWindowLines;
    final Totals totals = new Totals();
    /** Per user, the latest items (oldest first) the history tower's snapshot user vectors read. */
    final Map<Integer, int[]> latestHistories = new HashMap<>();

    /** Running figures of one event-time window. */
    static final class WindowStats {
        long start;
        long events;
        long hits;
        long hitsExcludeHistory;
        long trained;
        long skipped;
        long newUsers;
        long newItems;
        double lossSum;
        /** Events ranked before training (all of them unless --rank-share skips batches). */
        long ranked;
        long firstArrivalMs = Long.MAX_VALUE;
        long lastArrivalMs;
    }

    /** Whole-run figures for online_results.json. */
    static final class Totals {
        long events;
        long hits;
        long hitsExcludeHistory;
        long trained;
        long skipped;
        long deadLettered;
        long newUsers;
        long newItems;
        long windows;
        double bestRecall = -1;
        /** Recall@K of the last window that was not a regression: the reference for the next one. */
        double acceptedRecall = -1;
        /** Windows ending at or before this are closed; later events for them count in the next open window. */
        long closedUntil = Long.MIN_VALUE;
        long late;
        long snapshotSequence;
        long latestSequence;
        /** End of the last window a snapshot was published for, and the events trained by then (the cadence). */
        long lastPublishedWindowEnd = Long.MIN_VALUE;
        long trainedAtLastPublication;
        long ranked;
        /** Mini-batches trained so far: which ones are ranked follows from it (PrequentialShare). */
        long batches;
        /** Judged windows in a row that were regressions (RegressionGuard). */
        int consecutiveRegressions;
        /** The events counted at the newest restores (at most MAX_RESTORES_LISTED of them). */
        List<Long> restoredAtEvents = new ArrayList<>();
        long restores;
    }

    /** Records a restore after {@code events} events: counted, and listed among the newest ones. */
    void restored(long events) {
        totals.restores++;
        totals.restoredAtEvents.add(events);
        while (totals.restoredAtEvents.size() > MAX_RESTORES_LISTED) {
            totals.restoredAtEvents.remove(0);
        }
    }

    void write(DataOutputStream out) throws IOException {
        out.writeInt(open.size());
        for (WindowStats w : open.values()) {
            out.writeLong(w.start);
            out.writeLong(w.events);
            out.writeLong(w.hits);
            out.writeLong(w.trained);
            out.writeLong(w.skipped);
            out.writeLong(w.newUsers);
            out.writeLong(w.newItems);
            out.writeDouble(w.lossSum);
            out.writeLong(w.firstArrivalMs);
            out.writeLong(w.lastArrivalMs);
        }
        windowLog.write(out);
        out.writeLong(totals.events);
        out.writeLong(totals.hits);
        out.writeLong(totals.trained);
        out.writeLong(totals.skipped);
        out.writeLong(totals.deadLettered);
        out.writeLong(totals.newUsers);
        out.writeLong(totals.newItems);
        out.writeLong(totals.windows);
        out.writeDouble(totals.bestRecall);
        out.writeLong(totals.closedUntil);
        out.writeLong(totals.late);
        out.writeLong(totals.snapshotSequence);
        out.writeLong(totals.latestSequence);
        out.writeInt(totals.restoredAtEvents.size());
        for (long r : totals.restoredAtEvents) {
            out.writeLong(r);
        }
        out.writeInt(latestHistories.size());
        for (Map.Entry<Integer, int[]> e : latestHistories.entrySet()) {
            out.writeInt(e.getKey());
            writeInts(out, e.getValue());
        }
        out.writeDouble(totals.acceptedRecall);
        out.writeLong(totals.hitsExcludeHistory);
        for (WindowStats w : open.values()) {
            out.writeLong(w.hitsExcludeHistory);
        }
        out.writeLong(totals.lastPublishedWindowEnd);
        out.writeLong(totals.trainedAtLastPublication);
        out.writeLong(totals.ranked);
        out.writeLong(totals.batches);
        out.writeInt(totals.consecutiveRegressions);
        for (WindowStats w : open.values()) {
            out.writeLong(w.ranked);
        }
        out.writeLong(totals.restores);
    }

    /**
     * Reads what {@link #write} wrote; {@code version} 1 lacks the remembered histories and the accepted recall,
     * versions 1 and 2 the publication cadence (a restored run then publishes at its next window, as they did) and
     * the ranked counts (they ranked every event but the {@code pendingEvents} restored with them); versions 1 to 3
     * kept every window line (left in {@link #legacyWindowLines} for the operator to roll into files) and listed
     * every restore.
     */
    static OnlineRun read(DataInputStream in, int version, int pendingEvents) throws IOException {
        OnlineRun run = new OnlineRun();
        int windows = in.readInt();
        for (int i = 0; i < windows; i++) {
            WindowStats w = new WindowStats();
            w.start = in.readLong();
            w.events = in.readLong();
            w.hits = in.readLong();
            w.trained = in.readLong();
            w.skipped = in.readLong();
            w.newUsers = in.readLong();
            w.newItems = in.readLong();
            w.lossSum = in.readDouble();
            w.firstArrivalMs = in.readLong();
            w.lastArrivalMs = in.readLong();
            run.open.put(w.start, w);
        }
        if (version >= 4) {
            run.windowLog = WindowLog.read(in);
        } else {
            int lines = in.readInt();
            run.legacyWindowLines = new ArrayList<>(lines);
            for (int i = 0; i < lines; i++) {
                run.legacyWindowLines.add(readText(in));
            }
        }
        Totals totals = run.totals;
        totals.events = in.readLong();
        totals.hits = in.readLong();
        totals.trained = in.readLong();
        totals.skipped = in.readLong();
        totals.deadLettered = in.readLong();
        totals.newUsers = in.readLong();
        totals.newItems = in.readLong();
        totals.windows = in.readLong();
        totals.bestRecall = in.readDouble();
        totals.closedUntil = in.readLong();
        totals.late = in.readLong();
        totals.snapshotSequence = in.readLong();
        totals.latestSequence = in.readLong();
        int restores = in.readInt();
        for (int i = 0; i < restores; i++) {
            totals.restoredAtEvents.add(in.readLong());
        }
        int remembered = version >= 2 ? in.readInt() : 0;
        for (int i = 0; i < remembered; i++) {
            int user = in.readInt();
            run.latestHistories.put(user, readInts(in));
        }
        totals.acceptedRecall = version >= 2 ? in.readDouble() : totals.bestRecall;
        if (version >= 2) {
            totals.hitsExcludeHistory = in.readLong();
            for (WindowStats w : run.open.values()) {
                w.hitsExcludeHistory = in.readLong();
            }
        }
        if (version >= 3) {
            totals.lastPublishedWindowEnd = in.readLong();
            totals.trainedAtLastPublication = in.readLong();
            totals.ranked = in.readLong();
            totals.batches = in.readLong();
            totals.consecutiveRegressions = in.readInt();
            for (WindowStats w : run.open.values()) {
                w.ranked = in.readLong();
            }
        } else {
            // Every event that reached a window was ranked; the pending ones will be after the restore.
            totals.ranked = totals.events - pendingEvents;
            for (WindowStats w : run.open.values()) {
                w.ranked = w.events;
            }
        }
        totals.restores = version >= 4 ? in.readLong() : totals.restoredAtEvents.size();
        return run;
    }
}
