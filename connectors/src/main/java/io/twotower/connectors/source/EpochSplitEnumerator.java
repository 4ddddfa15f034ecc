package io.twotower.connectors.source;

import org.apache.flink.api.connector.source.SourceEvent;
import org.apache.flink.api.connector.source.SplitEnumerator;
import org.apache.flink.api.connector.source.SplitEnumeratorContext;
import org.apache.flink.api.connector.source.SplitsAssignment;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.annotation.Nullable;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Hands out one epoch at a time: every file once (the compact layout's parts as one split per reader, read
 * together), plus an end-of-epoch marker per reader. The next
 * epoch is handed out only when the trainer's {@link EpochDecisionEvent} for this one says so, so an
 * early stop reads nothing more and the job ends.
 *
 * <p>With several readers of the compact layout, each gets one split of its share of the parts (rotated per epoch)
 * that carries every reader's row count, so all of them number the epoch's rows alike ({@link EpochPositions}); the
 * trainer's {@link TrainerProgressEvent}s are forwarded to every reader (the latest again to one that registers after
 * a failure), which read only a bounded distance ahead of what the trainer has taken.
 */
final class EpochSplitEnumerator implements SplitEnumerator<SequenceSplit, EpochEnumeratorState> {
    private static final Logger LOG = LoggerFactory.getLogger(EpochSplitEnumerator.class);

    private final SplitEnumeratorContext<SequenceSplit> context;
    private final List<String> files;
    /** Whether a reader's files of an epoch go in one split (read as one pool) or one split each. */
    private final boolean filesTogether;
    private final int epochs;
    /** Each file's rows per epoch, for parallel readers' positions; null if not given (one reader). */
    @Nullable private final long[] rowsPerFile;
    /** The trainer's latest progress, forwarded to readers (not checkpointed: the trainer re-sends it). */
    @Nullable private TrainerProgressEvent progress;
    /** Splits for readers that were not registered when they were made (after a failure). */
    private final Map<Integer, List<SequenceSplit>> pending = new HashMap<>();
    private int assignedEpoch;
    private boolean stopped;

    EpochSplitEnumerator(SplitEnumeratorContext<SequenceSplit> context, List<String> files, boolean filesTogether,
            int epochs, @Nullable long[] rowsPerFile, EpochEnumeratorState state) {
        this.context = context;
        this.rowsPerFile = rowsPerFile;
        this.files = files;
        this.filesTogether = filesTogether;
        this.epochs = epochs;
        this.assignedEpoch = state.assignedEpoch;
        this.stopped = state.stopped;
    }

    @Override
    public void start() {}

    @Override
    public void handleSplitRequest(int subtaskId, @Nullable String requesterHostname) {}

    @Override
    public void addSplitsBack(List<SequenceSplit> splits, int subtaskId) {
        pending.computeIfAbsent(subtaskId, k -> new ArrayList<>()).addAll(splits);
    }

    @Override
    public void addReader(int subtaskId) {
        List<SequenceSplit> mine = pending.remove(subtaskId);
        if (mine != null && !mine.isEmpty()) {
            context.assignSplits(new SplitsAssignment<>(Map.of(subtaskId, mine)));
        }
        if (progress != null) {
            context.sendEventToSourceReader(subtaskId, progress);
        }
        if (assignedEpoch < 0) {
            if (context.registeredReaders().size() == context.currentParallelism()) {
                assignEpoch(0);
            }
        } else if (readingFinished()) {
            context.signalNoMoreSplits(subtaskId);
        }
    }

    private boolean readingFinished() {
        return stopped || assignedEpoch >= epochs - 1;
    }

    private void assignEpoch(int epoch) {
        int readers = context.currentParallelism();
        Map<Integer, List<SequenceSplit>> assignment = new HashMap<>();
        Map<Integer, List<Integer>> filesOf = new HashMap<>();
        for (int i = 0; i < files.size(); i++) {
            // Rotate files over readers so no reader always gets the largest file.
            filesOf.computeIfAbsent((i + epoch) % readers, k -> new ArrayList<>()).add(i);
        }
        boolean merged = filesTogether && readers > 1;
        long[] readerRows = merged ? readerRows(filesOf, readers) : null;
        filesOf.forEach((reader, indices) -> {
            List<SequenceSplit> splits = assignment.computeIfAbsent(reader, k -> new ArrayList<>());
            if (filesTogether) {
                List<String> paths = new ArrayList<>();
                for (int i : indices) {
                    paths.add(files.get(i));
                }
                splits.add(merged ? SequenceSplit.merged(epoch, indices.get(0), paths, 0, reader, readerRows)
                        : SequenceSplit.files(epoch, indices.get(0), paths, 0, -1));
            } else {
                for (int i : indices) {
                    splits.add(SequenceSplit.file(epoch, i, files.get(i), 0));
                }
            }
        });
        for (int r = 0; r < readers; r++) {
            assignment.computeIfAbsent(r, k -> new ArrayList<>()).add(SequenceSplit.endOfEpoch(epoch, r));
        }
        Map<Integer, List<SequenceSplit>> live = new HashMap<>();
        assignment.forEach((reader, splits) -> {
            if (context.registeredReaders().containsKey(reader)) {
                live.put(reader, splits);
            } else {
                pending.computeIfAbsent(reader, k -> new ArrayList<>()).addAll(splits);
            }
        });
        context.assignSplits(new SplitsAssignment<>(live));
        assignedEpoch = epoch;
        LOG.info("Assigned epoch {} ({} files) to {} readers", epoch + 1, files.size(), readers);
        if (readingFinished()) {
            signalNoMoreSplitsToAll();
        }
    }

    /** Each reader's rows in an epoch whose files are spread as {@code filesOf}. */
    private long[] readerRows(Map<Integer, List<Integer>> filesOf, int readers) {
        if (rowsPerFile == null) {
            throw new IllegalStateException("the training source runs " + readers + " readers but was not given each "
                    + "file's rows (EpochSequenceSource.Builder#setRowsPerFile), which parallel readers number by");
        }
        long[] rows = new long[readers];
        filesOf.forEach((reader, indices) -> {
            for (int i : indices) {
                rows[reader] += rowsPerFile[i];
            }
        });
        return rows;
    }

    private void signalNoMoreSplitsToAll() {
        for (int reader : context.registeredReaders().keySet()) {
            context.signalNoMoreSplits(reader);
        }
    }

    @Override
    public void handleSourceEvent(int subtaskId, SourceEvent sourceEvent) {
        if (sourceEvent instanceof TrainerProgressEvent) {
            TrainerProgressEvent event = (TrainerProgressEvent) sourceEvent;
            if (event.isAfter(progress)) {
                progress = event;
            }
            // Sent even when not newer: a repeat is how the trainer makes sure a restarted reader heard it.
            for (int reader : context.registeredReaders().keySet()) {
                context.sendEventToSourceReader(reader, progress);
            }
            return;
        }
        if (!(sourceEvent instanceof EpochDecisionEvent)) {
            return;
        }
        EpochDecisionEvent decision = (EpochDecisionEvent) sourceEvent;
        // A decision can arrive twice (the trainer re-sends its last one after a restore): act once.
        if (decision.epoch != assignedEpoch || readingFinished()) {
            LOG.debug("Ignoring {}: epoch {} assigned, stopped={}", decision, assignedEpoch, stopped);
            return;
        }
        if (decision.continueTraining) {
            assignEpoch(assignedEpoch + 1);
        } else {
            stopped = true;
            LOG.info("Training stopped after epoch {}: no more epochs will be read", assignedEpoch + 1);
            signalNoMoreSplitsToAll();
        }
    }

    @Override
    public EpochEnumeratorState snapshotState(long checkpointId) {
        return new EpochEnumeratorState(assignedEpoch, stopped);
    }

    @Override
    public void close() {}
}
