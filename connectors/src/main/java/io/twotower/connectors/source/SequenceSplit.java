package io.twotower.connectors.source;

import org.apache.flink.api.connector.source.SourceSplit;

/**
 * Either one file read once in epoch {@code epoch} (from row {@code offset} of its shuffled order), or an
 * end-of-epoch marker: a reader that reaches the marker has read all its rows of that epoch.
 */
public final class SequenceSplit implements SourceSplit {
    final int epoch;
    /** Index of the file in the source's file list; -1 for an end-of-epoch marker. */
    final int fileIndex;
    final String path;
    /** Rows of this split's shuffled order already emitted. */
    final long offset;
    /** For markers: the reader subtask it was made for (split ids must be unique). */
    final int subtask;
    /**
     * The epoch position of this split's first row (rows its reader emitted in this epoch before it), or
     * -1 until the reader opens the split; checkpointed so a restored reader numbers rows as before.
     */
    final long epochBase;

    private SequenceSplit(int epoch, int fileIndex, String path, long offset, int subtask, long epochBase) {
        this.epoch = epoch;
        this.fileIndex = fileIndex;
        this.path = path;
        this.offset = offset;
        this.subtask = subtask;
        this.epochBase = epochBase;
    }

    static SequenceSplit file(int epoch, int fileIndex, String path, long offset) {
        return file(epoch, fileIndex, path, offset, -1);
    }

    static SequenceSplit file(int epoch, int fileIndex, String path, long offset, long epochBase) {
        return new SequenceSplit(epoch, fileIndex, path, offset, -1, epochBase);
    }

    static SequenceSplit endOfEpoch(int epoch, int subtask) {
        return new SequenceSplit(epoch, -1, "", 0, subtask, -1);
    }

    boolean isEndOfEpoch() {
        return fileIndex < 0;
    }

    /** This split, read up to {@code newOffset}, whose first row has epoch position {@code base}. */
    SequenceSplit withProgress(long newOffset, long base) {
        return new SequenceSplit(epoch, fileIndex, path, newOffset, subtask, base);
    }

    @Override
    public String splitId() {
        return isEndOfEpoch() ? "epoch-" + epoch + "-end-" + subtask : "epoch-" + epoch + "-file-" + fileIndex;
    }

    @Override
    public String toString() {
        return splitId() + (isEndOfEpoch() ? "" : " (" + path + " @" + offset + ")");
    }
}
