package io.twotower.connectors.source;

import io.twotower.common.SplitMix64;
import org.apache.flink.api.common.eventtime.Watermark;
import org.apache.flink.api.connector.source.ReaderOutput;
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
 * <p>Every row carries its epoch position: its index among the rows this reader emitted in the epoch.
 * Keyed operators downstream interleave their outputs in a timing-dependent order; the trainer restores
 * this one from the positions, so a run is reproducible at any parallelism.
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
        this(numUsers, numItems, seed, windowLength, windowsPerUser, TrainingLayout.notebook());
    }

    EpochSequenceReader(int numUsers, int numItems, long seed, int windowLength, int windowsPerUser,
            TrainingLayout layout) {
        this.layout = layout;
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
            SequenceRow row = new SequenceRow();
            if (rows.next(row)) {
                row.epoch = current.epoch;
                row.position = base + position;
                output.collect(row);
                position++;
                emittedThisEpoch++;
                return InputStatus.MORE_AVAILABLE;
            }
            rows.close();
            current = null;
            rows = null;
        }
    }

    private void open(SequenceSplit split) throws Exception {
        long shuffleSeed = SplitMix64.mix(seed, split.epoch, split.fileIndex);
        rows = layout.open(split.paths, split.fileIndex, numUsers, numItems, shuffleSeed, windowLength, windowsPerUser);
        rows.skip(split.offset);
        position = split.offset;
        // A restored split keeps the numbering it had; a new one continues the epoch's count.
        base = split.epochBase >= 0 ? split.epochBase : emittedThisEpoch;
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
