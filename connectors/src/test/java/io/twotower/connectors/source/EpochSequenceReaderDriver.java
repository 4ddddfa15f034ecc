package io.twotower.connectors.source;

import org.apache.flink.api.common.eventtime.Watermark;
import org.apache.flink.api.connector.source.ReaderOutput;
import org.apache.flink.api.connector.source.SourceOutput;
import org.apache.flink.api.connector.source.SourceReader;
import org.apache.flink.core.io.InputStatus;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/** Polls a source reader directly, recording what it emits: rows and epoch watermarks. */
final class EpochSequenceReaderDriver implements ReaderOutput<SequenceRow> {
    /** One emitted row, comparable by value. */
    static final class Emitted {
        final int user;
        final int positive;
        final int[] history;
        final int epoch;
        final long rowId;
        final long position;

        Emitted(SequenceRow row) {
            this.user = row.user;
            this.positive = row.positive;
            this.history = row.history;
            this.epoch = row.epoch;
            this.rowId = row.rowId;
            this.position = row.position;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Emitted e && user == e.user && positive == e.positive && epoch == e.epoch
                    && rowId == e.rowId && position == e.position && Arrays.equals(history, e.history);
        }

        @Override
        public int hashCode() {
            return Objects.hash(user, positive, epoch, rowId, position, Arrays.hashCode(history));
        }

        @Override
        public String toString() {
            return "row " + rowId + " (user " + user + ", epoch " + epoch + " @" + position + ")";
        }
    }

    final List<Emitted> rows = new ArrayList<>();
    final List<Long> watermarks = new ArrayList<>();
    private final SourceReader<SequenceRow, SequenceSplit> reader;

    EpochSequenceReaderDriver(SourceReader<SequenceRow, SequenceSplit> reader) {
        this.reader = reader;
    }

    SourceReader<SequenceRow, SequenceSplit> reader() {
        return reader;
    }

    /** Polls until the reader has nothing more for now (its splits are read). */
    void drain() throws Exception {
        while (reader.pollNext(this) == InputStatus.MORE_AVAILABLE) {
            // each poll emits at most one row
        }
    }

    /** Polls until {@code count} more rows were emitted. */
    void read(int count) throws Exception {
        int target = rows.size() + count;
        while (rows.size() < target) {
            if (reader.pollNext(this) != InputStatus.MORE_AVAILABLE) {
                throw new AssertionError("the reader ran out after " + rows.size() + " rows, wanted " + target);
            }
        }
    }

    @Override
    public void collect(SequenceRow record) {
        rows.add(new Emitted(record));
    }

    @Override
    public void collect(SequenceRow record, long timestamp) {
        collect(record);
    }

    @Override
    public void emitWatermark(Watermark watermark) {
        watermarks.add(watermark.getTimestamp());
    }

    @Override
    public void markIdle() {}

    @Override
    public void markActive() {}

    @Override
    public SourceOutput<SequenceRow> createOutputForSplit(String splitId) {
        throw new UnsupportedOperationException("the epoch reader emits through the reader output");
    }

    @Override
    public void releaseOutputForSplit(String splitId) {}
}
