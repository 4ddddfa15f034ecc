package io.twotower.connectors.dataset;

import io.twotower.connectors.parquet.FlinkOutputFile;
import io.twotower.connectors.parquet.ParquetRows;
import org.apache.flink.core.fs.Path;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType;
import org.apache.parquet.schema.Types;

import java.io.IOException;
import java.util.function.IntConsumer;

import static io.twotower.connectors.dataset.DatasetLayout.HISTORY_COLUMN;
import static io.twotower.connectors.dataset.DatasetLayout.POSITIVE_COLUMN;
import static io.twotower.connectors.dataset.DatasetLayout.USER_COLUMN;

/**
 * Reads and writes the notebook's sequence files (user_idx int64, pos_item_idx int64, history_idx
 * space-separated item indices or null). Reading validates every row against the id maps' sizes and
 * names the file, row and column of the first bad value.
 */
public final class SequenceFiles {
    static final MessageType SCHEMA = Types.buildMessage()
            .required(PrimitiveType.PrimitiveTypeName.INT64).named(USER_COLUMN)
            .required(PrimitiveType.PrimitiveTypeName.INT64).named(POSITIVE_COLUMN)
            .optional(PrimitiveType.PrimitiveTypeName.BINARY).as(LogicalTypeAnnotation.stringType()).named(HISTORY_COLUMN)
            .named("sequences");

    /** The row group size of the files this class writes. */
    public static final long ROW_GROUP_BYTES = 16L << 20;

    private SequenceFiles() {}

    /** Receives each row of a sequence file; {@code history[0 .. historyLength)} is only valid during the call. */
    public interface RowVisitor {
        void visit(int user, int positive, int[] history, int historyLength) throws IOException;
    }

    /** Reads every row, checking user indices against [0, numUsers) and item indices against [0, numItems). */
    public static Sequences read(Path path, int numUsers, int numItems) throws IOException {
        Sequences[] out = new Sequences[1];
        long rows = forEach(path, numUsers, numItems, expected -> out[0] = new Sequences(expected),
                (user, pos, history, n) -> out[0].add(user, pos, history, 0, n));
        if (rows == 0) {
            throw new IOException(path + ": no rows");
        }
        return out[0];
    }

    /**
     * Streams every row to {@code visitor} with the checks of {@link #read}, holding one row at a time (e.g. to
     * pick one user's rows out of a large file); returns the number of rows.
     */
    public static long forEach(Path path, int numUsers, int numItems, RowVisitor visitor) throws IOException {
        return forEach(path, numUsers, numItems, expected -> { }, visitor);
    }

    private static long forEach(Path path, int numUsers, int numItems, IntConsumer expectedRows, RowVisitor visitor)
            throws IOException {
        try (ParquetRows rows = ParquetRows.open(path)) {
            rows.requireIntegerColumn(USER_COLUMN);
            rows.requireIntegerColumn(POSITIVE_COLUMN);
            rows.requireColumn(HISTORY_COLUMN);
            expectedRows.accept((int) Math.min(Integer.MAX_VALUE - 8, rows.rowCount()));
            int[][] buffer = {new int[64]};
            long[] count = {0};
            rows.forEach((row, r) -> {
                int user = checkIndex(path, row, USER_COLUMN, r.getLong(USER_COLUMN, row), numUsers, "user");
                int pos = checkIndex(path, row, POSITIVE_COLUMN, r.getLong(POSITIVE_COLUMN, row), numItems, "item");
                String text = r.getString(HISTORY_COLUMN);
                int n = parseHistory(path, row, text, numItems, buffer);
                visitor.visit(user, pos, buffer[0], n);
                count[0]++;
            });
            return count[0];
        }
    }

    private static int checkIndex(Path path, long row, String column, long value, int bound, String what)
            throws IOException {
        if (value < 0 || value >= bound) {
            throw new IOException(String.format(
                    "%s: row %d, column '%s': %s index %d is outside the id map (0..%d)",
                    path, row, column, what, value, bound - 1));
        }
        return (int) value;
    }

    private static int parseHistory(Path path, long row, String text, int numItems, int[][] buffer) throws IOException {
        if (text == null) {
            return 0;
        }
        int n = 0;
        int i = 0;
        int len = text.length();
        while (i < len) {
            while (i < len && text.charAt(i) == ' ') {
                i++;
            }
            if (i == len) {
                break;
            }
            long value = 0;
            int start = i;
            while (i < len && text.charAt(i) != ' ') {
                char c = text.charAt(i);
                if (c < '0' || c > '9' || i - start > 10) {
                    throw new IOException(String.format(
                            "%s: row %d, column '%s': '%s' is not a list of space-separated item indices",
                            path, row, HISTORY_COLUMN, text.length() > 80 ? text.substring(0, 80) + "..." : text));
                }
                value = value * 10 + (c - '0');
                i++;
            }
            if (n == buffer[0].length) {
                buffer[0] = java.util.Arrays.copyOf(buffer[0], n * 2);
            }
            buffer[0][n++] = checkIndex(path, row, HISTORY_COLUMN, value, numItems, "item");
        }
        return n;
    }

    public static void write(Path path, Sequences sequences) throws IOException {
        try (Writer writer = new Writer(path)) {
            for (int r = 0; r < sequences.size(); r++) {
                writer.add(sequences.user(r), sequences.positive(r), sequences.historyText(r));
            }
        }
    }

    /** Writes a sequence file row by row, so a file of any size is written in bounded memory. */
    public static final class Writer implements AutoCloseable {
        private final SimpleGroupFactory groups = new SimpleGroupFactory(SCHEMA);
        private final ParquetWriter<Group> writer;
        private final StringBuilder text = new StringBuilder();
        private long rows;

        public Writer(Path path) throws IOException {
            this.writer = ExampleParquetWriter.builder(new FlinkOutputFile(path))
                    .withType(SCHEMA)
                    .withWriteMode(ParquetFileWriter.Mode.OVERWRITE)
                    .withCompressionCodec(CompressionCodecName.SNAPPY)
                    // A reader holds a whole row group: parquet-mr's default (128 MiB) would make a file of
                    // millions of held-out rows one group that a small heap cannot read.
                    .withRowGroupSize(ROW_GROUP_BYTES)
                    .build();
        }

        /** Adds the row (user, positive, history[from .. to)); an empty history is written as null. */
        public void add(int user, int positive, int[] history, int from, int to) throws IOException {
            text.setLength(0);
            for (int i = from; i < to; i++) {
                if (i > from) {
                    text.append(' ');
                }
                text.append(history[i]);
            }
            add(user, positive, to > from ? text.toString() : null);
        }

        private void add(int user, int positive, String history) throws IOException {
            Group g = groups.newGroup()
                    .append(USER_COLUMN, (long) user)
                    .append(POSITIVE_COLUMN, (long) positive);
            if (history != null) {
                g.append(HISTORY_COLUMN, history);
            }
            writer.write(g);
            rows++;
        }

        public long rows() {
            return rows;
        }

        @Override
        public void close() throws IOException {
            writer.close();
        }
    }
}
