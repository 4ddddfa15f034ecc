package io.twotower.connectors.source;

import io.twotower.common.SplitMix64;
import org.apache.flink.api.common.eventtime.Watermark;
import org.apache.flink.api.connector.source.ReaderOutput;
import org.apache.flink.api.connector.source.SourceEvent;
import org.apache.flink.api.connector.source.SourceReader;
import org.apache.flink.core.io.InputStatus;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Reads its splits in order: a file split emits its files' rows in an order shuffled per (seed, epoch,
 * first file) ({@link SplitRows}: a notebook file as one exact permutation, as its DataLoader(shuffle=True) does, or
 * the compact layout's parts together, streamed through a shuffle buffer); an end-of-epoch marker emits watermark =
 * epoch, so downstream operators know exactly when an epoch is complete. The checkpointed position is
 * the count of rows emitted, because the shuffled order can be recomputed from the seed.
 *
 * <p>With sequence windows ({@link SequenceWindows}), a file split emits only the rows whose windows tile each
 * user's sequence, shuffled the same way; offsets and epoch positions count those rows, while the row id stays
 * the row's index in the file.
 *
 * <p>The compact layout's user-sequence records ({@link SequenceRow#isUserSequence}) pass through between the rows
 * without a position and are not counted: offsets and positions count rows only.
 *
 * <p>Every row carries its epoch position: its index among the rows this reader emitted in the epoch.
 * Keyed operators downstream interleave their outputs in a timing-dependent order; the trainer restores
 * this one from the positions, so a run is reproducible at any parallelism.
 *
 * <p>With parallel readers (a merged split) the position is the row's place in the epoch merged over every reader's
 * share ({@link EpochPositions}), and the reader emits a row only while its position is below the trainer's progress
 * ({@link TrainerProgressEvent}) plus the read-ahead: otherwise it reports nothing available until the next progress
 * event arrives, so no reader runs unboundedly ahead of the one the trainer waits for.
 */
final class EpochSequenceReader implements SourceReader<SequenceRow, SequenceSplit> {
    private final int numUsers;
    private final int numItems;
    private final long seed;
    /** The sequence windows' maximum length, or 0 to emit every row. */
    private final int windowLength;
    private final int windowsPerUser;
    private final ArrayDeque<SequenceSplit> queue = new ArrayDeque<>();
    private CompletableFuture<Void> availability = CompletableFuture.completedFuture(null);
    private boolean noMoreSplits;

    private final TrainingLayout layout;
    /** Merged splits: positions beyond the trainer's progress a reader may emit (0: any). */
    private final long readAhead;
    private TrainerProgressEvent progress;
    /** The current split's epoch numbering when it is merged, else null. */
    private EpochPositions merged;
    private SequenceSplit current;
    private SplitRows rows;
    private long position;
    /** Epoch position of the current split's first row. */
    private long base;
    /** Rows emitted in the current epoch, over all its splits so far. */
    private long emittedThisEpoch;

    EpochSequenceReader(int numUsers, int numItems, long seed, int windowLength) {
        this(numUsers, numItems, seed, windowLength, 0);
    }

    EpochSequenceReader(int numUsers, int numItems, long seed, int windowLength, int windowsPerUser) {
        this(numUsers, numItems, seed, windowLength, windowsPerUser, TrainingLayout.notebook(), 0);
    }

    EpochSequenceReader(int numUsers, int numItems, long seed, int windowLength, int windowsPerUser,
            TrainingLayout layout, long readAhead) {
        this.layout = layout;
        this.readAhead = readAhead;
        this.windowsPerUser = windowsPerUser;
        this.numUsers = numUsers;
        this.numItems = numItems;
        this.seed = seed;
        this.windowLength = windowLength;
    }

    @Override
    public void start() {}

    @Override
    public InputStatus pollNext(ReaderOutput<SequenceRow> output) throws Exception {
        while (true) {
            if (current == null) {
                SequenceSplit next = queue.poll();
                if (next == null) {
                    if (noMoreSplits) {
                        return InputStatus.END_OF_INPUT;
                    }
                    availability = new CompletableFuture<>();
                    return InputStatus.NOTHING_AVAILABLE;
                }
                if (next.isEndOfEpoch()) {
                    output.emitWatermark(new Watermark(next.epoch));
                    emittedThisEpoch = 0;
                    continue;
                }
                open(next);
            }
            long rowPosition = base + position;
            if (merged != null) {
                if (position >= current.readerRows[current.subtask]) {
                    // Every row of this reader's share was emitted; the split must end here.
                    requireEnd();
                    continue;
                }
                rowPosition = merged.position(current.subtask, position);
            }
            if (merged != null && rowPosition >= limit()) {
                // Ahead of the trainer by the read-ahead: wait for its progress (handleSourceEvents).
                availability = new CompletableFuture<>();
                return InputStatus.NOTHING_AVAILABLE;
            }
            SequenceRow row = new SequenceRow();
            if (rows.next(row)) {
                row.epoch = current.epoch;
                if (row.isUserSequence()) {
                    // Not a row: no position, not counted in the split's offset.
                    output.collect(row);
                    return InputStatus.MORE_AVAILABLE;
                }
                row.position = rowPosition;
                output.collect(row);
                position++;
                emittedThisEpoch++;
                return InputStatus.MORE_AVAILABLE;
            }
            if (merged != null) {
                throw new IllegalStateException(String.format("%s holds only %d of the %d rows the epoch was numbered "
                        + "by; were its files changed after the job started?", current, position,
                        current.readerRows[current.subtask]));
            }
            rows.close();
            current = null;
            rows = null;
            merged = null;
        }
    }

    /** Closes the current split, which must have no more rows than its count said. */
    private void requireEnd() throws Exception {
        if (rows.next(new SequenceRow())) {
            throw new IllegalStateException(String.format("%s holds more than the %d rows the epoch was numbered by; "
                    + "were its files changed after the job started?", current, current.readerRows[current.subtask]));
        }
        rows.close();
        current = null;
        rows = null;
        merged = null;
    }

    /** The first epoch position this reader may not emit yet. */
    private long limit() {
        if (readAhead == 0 || (progress != null && progress.epoch > current.epoch)) {
            return Long.MAX_VALUE;
        }
        long released = progress != null && progress.epoch == current.epoch ? progress.released : 0;
        return released + readAhead;
    }

    @Override
    public void handleSourceEvents(SourceEvent event) {
        if (event instanceof TrainerProgressEvent && ((TrainerProgressEvent) event).isAfter(progress)) {
            progress = (TrainerProgressEvent) event;
            availability.complete(null);
        }
    }

    private void open(SequenceSplit split) throws Exception {
        long shuffleSeed = SplitMix64.mix(seed, split.epoch, split.fileIndex);
        rows = layout.open(split.paths, split.fileIndex, numUsers, numItems, shuffleSeed, windowLength, windowsPerUser);
        rows.skip(split.offset);
        position = split.offset;
        // A restored split keeps the numbering it had; a new one continues the epoch's count.
        base = split.epochBase >= 0 ? split.epochBase : emittedThisEpoch;
        merged = split.isMerged() ? new EpochPositions(split.readerRows) : null;
        emittedThisEpoch = base + position;
        current = split;
    }

    @Override
    public List<SequenceSplit> snapshotState(long checkpointId) {
        List<SequenceSplit> splits = new ArrayList<>(queue.size() + 1);
        if (current != null) {
            splits.add(current.withProgress(position, base));
        }
        splits.addAll(queue);
        return splits;
    }

    @Override
    public CompletableFuture<Void> isAvailable() {
        return availability;
    }

    @Override
    public void addSplits(List<SequenceSplit> splits) {
        queue.addAll(splits);
        availability.complete(null);
    }

    @Override
    public void notifyNoMoreSplits() {
        noMoreSplits = true;
        availability.complete(null);
    }

    @Override
    public void close() throws Exception {
        if (rows != null) {
            rows.close();
        }
    }
}
