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

/** Polls a source reader directly, recording what it emits: rows, user-sequence records and epoch watermarks. */
final class EpochSequenceReaderDriver implements ReaderOutput<SequenceRow> {
    /** One emitted row, comparable by value. */
    static final class Emitted {
        final int user;
        final int positive;
        final int[] history;
        final int epoch;
        final long rowId;
        final long position;
        final int t;

        Emitted(SequenceRow row) {
            this.t = row.t;
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
                    && rowId == e.rowId && position == e.position && t == e.t && Arrays.equals(history, e.history);
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

    /** The rows emitted (user-sequence records are in {@link #records} only). */
    final List<Emitted> rows = new ArrayList<>();
    /** Everything emitted, in order: rows and user-sequence records. */
    final List<SequenceRow> records = new ArrayList<>();
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
        records.add(record);
        if (!record.isUserSequence()) {
            rows.add(new Emitted(record));
        }
    }

    /** The rows emitted, each with its history (from the user-sequence records before it for the compact layout). */
    List<SequenceRow> expanded(int maxHistory) {
        RowHistories histories = new RowHistories(maxHistory);
        List<SequenceRow> out = new ArrayList<>();
        for (SequenceRow r : records) {
            SequenceRow copy = new SequenceRow(r.user, r.positive, r.history, r.epoch, r.rowId, r.position);
            copy.t = r.t;
            copy.sequence = r.sequence;
            copy.last = r.last;
            if (histories.accept(copy)) {
                out.add(copy);
            }
        }
        return out;
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
