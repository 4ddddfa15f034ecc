package io.twotower.connectors.source;

import io.twotower.common.SplitMix64;
import io.twotower.connectors.dataset.SequenceFiles;
import io.twotower.connectors.dataset.Sequences;
import org.apache.flink.api.common.eventtime.Watermark;
import org.apache.flink.api.connector.source.ReaderOutput;
import org.apache.flink.api.connector.source.SourceReader;
import org.apache.flink.core.fs.Path;
import org.apache.flink.core.io.InputStatus;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Reads its splits in order: a file split emits the file's rows in an order shuffled per (seed, epoch,
 * file), as the notebook's DataLoader(shuffle=True) does; an end-of-epoch marker emits watermark =
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

    private SequenceSplit current;
    private Sequences rows;
    private int[] order;
    private int position;
    /** Epoch position of the current split's first row. */
    private long base;
    /** Rows emitted in the current epoch, over all its splits so far. */
    private long emittedThisEpoch;

    EpochSequenceReader(int numUsers, int numItems, long seed, int windowLength) {
        this(numUsers, numItems, seed, windowLength, 0);
    }

    EpochSequenceReader(int numUsers, int numItems, long seed, int windowLength, int windowsPerUser) {
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
            if (position < order.length) {
                int row = order[position];
                output.collect(new SequenceRow(rows.user(row), rows.positive(row), rows.history(row), current.epoch,
                        ((long) current.fileIndex << 40) | row, base + position));
                position++;
                emittedThisEpoch++;
                return InputStatus.MORE_AVAILABLE;
            }
            current = null;
            rows = null;
            order = null;
        }
    }

    private void open(SequenceSplit split) throws Exception {
        rows = SequenceFiles.read(new Path(split.path), numUsers, numItems);
        long shuffleSeed = SplitMix64.mix(seed, split.epoch, split.fileIndex);
        if (windowLength > 0) {
            int[] selected = SequenceWindows.select(rows, windowLength, windowsPerUser, split.path);
            order = shuffledOrder(selected.length, shuffleSeed);
            for (int i = 0; i < order.length; i++) {
                order[i] = selected[order[i]];
            }
        } else {
            order = shuffledOrder(rows.size(), shuffleSeed);
        }
        position = (int) split.offset;
        // A restored split keeps the numbering it had; a new one continues the epoch's count.
        base = split.epochBase >= 0 ? split.epochBase : emittedThisEpoch;
        emittedThisEpoch = base + position;
        current = split;
    }

    static int[] shuffledOrder(int n, long seed) {
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        SplitMix64 rng = new SplitMix64(seed);
        for (int i = n - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        return order;
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
    public void close() {}
}
