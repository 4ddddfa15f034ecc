package io.twotower.connectors.source;

import java.util.List;

import org.apache.flink.api.connector.source.SourceSplit;

/**
 * Either training files read once in epoch {@code epoch} (from row {@code offset} of their shuffled order): one
 * notebook file, or the compact layout's parts together (their row groups are shuffled as one pool, so an epoch
 * mixes every part from its first rows); or an end-of-epoch marker: a reader that reaches the marker has read all
 * its rows of that epoch.
 */
public final class SequenceSplit implements SourceSplit {
    final int epoch;
    /** Index of the (first) file in the source's file list; -1 for an end-of-epoch marker. */
    final int fileIndex;
    /** The files, read together; empty for a marker. */
    final List<String> paths;
    /** Rows of this split's shuffled order already emitted. */
    final long offset;
    /**
     * For markers and merged splits: the reader subtask it was made for (split ids must be unique; a merged split's
     * rows take their epoch positions from this reader's slot); -1 otherwise.
     */
    final int subtask;
    /**
     * The epoch position of this split's first row (rows its reader emitted in this epoch before it), or
     * -1 until the reader opens the split; checkpointed so a restored reader numbers rows as before.
     */
    final long epochBase;
    /**
     * With parallel readers: every reader's rows in this epoch (index: subtask), whose orders {@link EpochPositions}
     * merges into the epoch's; null when the reader numbers its rows by its own count (one reader).
     */
    final long[] readerRows;

    private SequenceSplit(int epoch, int fileIndex, List<String> paths, long offset, int subtask, long epochBase,
            long[] readerRows) {
        this.epoch = epoch;
        this.fileIndex = fileIndex;
        this.paths = List.copyOf(paths);
        this.offset = offset;
        this.subtask = subtask;
        this.epochBase = epochBase;
        this.readerRows = readerRows;
    }

    static SequenceSplit file(int epoch, int fileIndex, String path, long offset) {
        return files(epoch, fileIndex, List.of(path), offset, -1);
    }

    /** {@code paths}, the first of them file {@code fileIndex} of the source's list. */
    static SequenceSplit files(int epoch, int fileIndex, List<String> paths, long offset, long epochBase) {
        if (paths.isEmpty()) {
            throw new IllegalArgumentException("a file split needs at least one file");
        }
        return new SequenceSplit(epoch, fileIndex, paths, offset, -1, epochBase, null);
    }

    /**
     * Reader {@code subtask}'s share of an epoch read by parallel readers: its files {@code paths} (the first is file
     * {@code fileIndex}) read together, from row {@code offset}; {@code readerRows} holds every reader's rows.
     */
    static SequenceSplit merged(int epoch, int fileIndex, List<String> paths, long offset, int subtask,
            long[] readerRows) {
        if (paths.isEmpty()) {
            throw new IllegalArgumentException("a file split needs at least one file");
        }
        if (subtask < 0 || subtask >= readerRows.length) {
            throw new IllegalArgumentException("reader " + subtask + " of " + readerRows.length);
        }
        return new SequenceSplit(epoch, fileIndex, paths, offset, subtask, 0, readerRows.clone());
    }

    static SequenceSplit endOfEpoch(int epoch, int subtask) {
        return new SequenceSplit(epoch, -1, List.of(), 0, subtask, -1, null);
    }

    /** Whether the rows' epoch positions come from merging every reader's rows ({@link #readerRows}). */
    boolean isMerged() {
        return readerRows != null;
    }

    boolean isEndOfEpoch() {
        return fileIndex < 0;
    }

    /** This split, read up to {@code newOffset}, whose first row has epoch position {@code base}. */
    SequenceSplit withProgress(long newOffset, long base) {
        return new SequenceSplit(epoch, fileIndex, paths, newOffset, subtask, base, readerRows);
    }

    @Override
    public String splitId() {
        return isEndOfEpoch() ? "epoch-" + epoch + "-end-" + subtask : "epoch-" + epoch + "-file-" + fileIndex;
    }

    @Override
    public String toString() {
        return splitId() + (isEndOfEpoch() ? "" : " (" + (paths.size() == 1 ? paths.get(0) : paths.size() + " files from "
                + paths.get(0)) + " @" + offset + ")");
    }
}
