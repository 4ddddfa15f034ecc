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

    private SequenceSplit(int epoch, int fileIndex, String path, long offset, int subtask) {
        this.epoch = epoch;
        this.fileIndex = fileIndex;
        this.path = path;
        this.offset = offset;
        this.subtask = subtask;
    }

    static SequenceSplit file(int epoch, int fileIndex, String path, long offset) {
        return new SequenceSplit(epoch, fileIndex, path, offset, -1);
    }

    static SequenceSplit endOfEpoch(int epoch, int subtask) {
        return new SequenceSplit(epoch, -1, "", 0, subtask);
    }

    boolean isEndOfEpoch() {
        return fileIndex < 0;
    }

    SequenceSplit withOffset(long newOffset) {
        return new SequenceSplit(epoch, fileIndex, path, newOffset, subtask);
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
