package io.twotower.connectors.source;

import io.twotower.connectors.dataset.SequenceFiles;
import io.twotower.connectors.dataset.Sequences;
import org.apache.flink.core.fs.Path;

import java.io.IOException;

/**
 * A file of the notebook's layout read whole and emitted in one exact random permutation per (seed, epoch, file),
 * as the notebook's DataLoader(shuffle=True) does; with sequence windows only the selected rows. The row id is the
 * row's index in the file with the file's index above it. Memory: the whole file.
 */
final class NotebookFileRows implements SplitRows {
    private final Sequences rows;
    private final int[] order;
    private final long fileBits;
    private int position;

    NotebookFileRows(String path, int fileIndex, int numUsers, int numItems, long shuffleSeed, int windowLength,
            int windowsPerUser) throws IOException {
        rows = SequenceFiles.read(new Path(path), numUsers, numItems);
        if (windowLength > 0) {
            int[] selected = SequenceWindows.select(rows, windowLength, windowsPerUser, path);
            order = shuffledOrder(selected.length, shuffleSeed);
            for (int i = 0; i < order.length; i++) {
                order[i] = selected[order[i]];
            }
        } else {
            order = shuffledOrder(rows.size(), shuffleSeed);
        }
        fileBits = (long) fileIndex << 40;
    }

    static int[] shuffledOrder(int n, long seed) {
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        io.twotower.common.SplitMix64 rng = new io.twotower.common.SplitMix64(seed);
        for (int i = n - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        return order;
    }

    @Override
    public boolean next(SequenceRow out) {
        if (position >= order.length) {
            return false;
        }
        int row = order[position++];
        out.user = rows.user(row);
        out.positive = rows.positive(row);
        out.history = rows.history(row);
        out.rowId = fileBits | row;
        return true;
    }

    @Override
    public void skip(long n) {
        position = (int) Math.min(order.length, position + n);
    }

    @Override
    public void close() {}
}
