package io.twotower.connectors.dataset;

import io.twotower.connectors.parquet.FlinkInputFile;
import io.twotower.connectors.parquet.FlinkOutputFile;
import org.apache.flink.core.fs.Path;
import org.apache.parquet.column.page.PageReadStore;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.example.data.simple.convert.GroupRecordConverter;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.hadoop.metadata.BlockMetaData;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.io.ColumnIOFactory;
import org.apache.parquet.io.MessageColumnIO;
import org.apache.parquet.io.RecordReader;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType;
import org.apache.parquet.schema.Type;
import org.apache.parquet.schema.Types;

import java.io.IOException;
import java.util.Arrays;
import java.util.List;

import static io.twotower.connectors.dataset.DatasetLayout.SEQUENCE_ITEMS_COLUMN;
import static io.twotower.connectors.dataset.DatasetLayout.USER_COLUMN;

/**
 * The compact training layout's part files: one row per user, {@code user_idx} int64 and {@code item_idx} the
 * user's training items in time order (a Parquet LIST of int32, which pandas and pyarrow read as a list). A training
 * row is not stored: it is the t-th item with the items before it, expanded by the reader
 * ({@link io.twotower.connectors.source.UserSequenceRows}), so a part holds each interaction once instead of once per
 * later row's history (the notebook's layout stores up to 50 ids as text per row).
 *
 * <p>Within a part, users ascend and appear once; parts split users by a hash of their index, so one user's sequence
 * is in exactly one part. Small row groups (a few MiB) let a reader visit them in a shuffled order.
 */
public final class UserSequenceFiles {
    static final String LIST = "list";
    static final String ELEMENT = "element";
    /** Row groups small enough that a part of any size has many to shuffle, large enough to read efficiently. */
    public static final long ROW_GROUP_BYTES = 4L << 20;

    static final MessageType SCHEMA = Types.buildMessage()
            .required(PrimitiveType.PrimitiveTypeName.INT64).named(USER_COLUMN)
            .requiredGroup().as(LogicalTypeAnnotation.listType())
            .repeatedGroup().required(PrimitiveType.PrimitiveTypeName.INT32).named(ELEMENT).named(LIST)
            .named(SEQUENCE_ITEMS_COLUMN)
            .named("user_sequences");

    private UserSequenceFiles() {}

    /** The part a user's sequence goes to: a hash of its dense index, so parts get users of every kind. */
    public static int partOf(int user, int parts) {
        return (int) Math.floorMod(io.twotower.common.SplitMix64.mix(0x5eed_5e9L, user), (long) parts);
    }

    /** The file name of part {@code index}. */
    public static String partName(int index) {
        return String.format("part-%05d.parquet", index);
    }

    /** Writes one part; users must be added in ascending order. */
    public static final class Writer implements AutoCloseable {
        private final Path path;
        private final SimpleGroupFactory groups = new SimpleGroupFactory(SCHEMA);
        private final ParquetWriter<Group> writer;
        private int lastUser = -1;
        private long users;
        private long interactions;

        public Writer(Path path) throws IOException {
            this(path, ROW_GROUP_BYTES);
        }

        public Writer(Path path, long rowGroupBytes) throws IOException {
            this.path = path;
            this.writer = ExampleParquetWriter.builder(new FlinkOutputFile(path))
                    .withType(SCHEMA)
                    .withWriteMode(ParquetFileWriter.Mode.OVERWRITE)
                    .withCompressionCodec(CompressionCodecName.SNAPPY)
                    .withRowGroupSize(rowGroupBytes)
                    // A row is a user's whole sequence: check the group's size often enough to keep groups small.
                    .withMinRowCountForPageSizeCheck(10)
                    .withMaxRowCountForPageSizeCheck(1000)
                    .build();
        }

        /** Adds {@code user}'s training items {@code items[from .. to)}, oldest first. */
        public void add(int user, int[] items, int from, int to) throws IOException {
            if (user <= lastUser) {
                throw new IllegalArgumentException(path + ": users must be added in ascending order, got " + user
                        + " after " + lastUser);
            }
            lastUser = user;
            Group g = groups.newGroup().append(USER_COLUMN, (long) user);
            Group list = g.addGroup(SEQUENCE_ITEMS_COLUMN);
            for (int i = from; i < to; i++) {
                list.addGroup(LIST).append(ELEMENT, items[i]);
            }
            writer.write(g);
            users++;
            interactions += to - from;
        }

        public long users() {
            return users;
        }

        public long interactions() {
            return interactions;
        }

        @Override
        public void close() throws IOException {
            writer.close();
        }
    }

    /**
     * Reads a part one row group at a time, in any order of row groups, checking every value: user and item indices
     * inside the id maps, users ascending within the part. Errors name the file, the row (its index in the file) and
     * the column. Memory: one row group's records.
     */
    public static final class Reader implements AutoCloseable {
        private final Path path;
        private final int numUsers;
        private final int numItems;
        private final ParquetFileReader reader;
        private final MessageType schema;
        private final MessageColumnIO io;
        private final long[] firstRow;
        private RecordReader<Group> records;
        private long remaining;
        private long row;
        private long previousUser = -1;
        private int user;
        private int[] items = new int[64];
        private int length;

        private Reader(Path path, int numUsers, int numItems, ParquetFileReader reader) throws IOException {
            this.path = path;
            this.numUsers = numUsers;
            this.numItems = numItems;
            this.reader = reader;
            this.schema = reader.getFooter().getFileMetaData().getSchema();
            checkSchema();
            this.io = new ColumnIOFactory().getColumnIO(schema);
            List<BlockMetaData> blocks = reader.getRowGroups();
            firstRow = new long[blocks.size() + 1];
            for (int b = 0; b < blocks.size(); b++) {
                firstRow[b + 1] = firstRow[b] + blocks.get(b).getRowCount();
            }
        }

        public static Reader open(Path path, int numUsers, int numItems) throws IOException {
            if (!path.getFileSystem().exists(path)) {
                throw new IOException(path + ": file not found");
            }
            ParquetFileReader reader;
            try {
                reader = ParquetFileReader.open(new FlinkInputFile(path));
            } catch (RuntimeException | IOException e) {
                throw new IOException(path + ": not a readable Parquet file: " + e.getMessage(), e);
            }
            try {
                return new Reader(path, numUsers, numItems, reader);
            } catch (IOException | RuntimeException e) {
                reader.close();
                throw e;
            }
        }

        private void checkSchema() throws IOException {
            if (!schema.containsField(USER_COLUMN) || !schema.containsField(SEQUENCE_ITEMS_COLUMN)) {
                throw new IOException(path + ": missing column '" + (schema.containsField(USER_COLUMN)
                        ? SEQUENCE_ITEMS_COLUMN : USER_COLUMN) + "' (columns: " + schema.getFields().stream()
                        .map(Type::getName).toList() + "); a part of the compact layout has user_idx and item_idx");
            }
            Type u = schema.getType(USER_COLUMN);
            if (!u.isPrimitive() || (u.asPrimitiveType().getPrimitiveTypeName() != PrimitiveType.PrimitiveTypeName.INT64
                    && u.asPrimitiveType().getPrimitiveTypeName() != PrimitiveType.PrimitiveTypeName.INT32)) {
                throw new IOException(path + ": column '" + USER_COLUMN + "' must be int32 or int64, found " + u);
            }
            Type items = schema.getType(SEQUENCE_ITEMS_COLUMN);
            boolean list = !items.isPrimitive() && items.asGroupType().getFieldCount() == 1
                    && !items.asGroupType().getType(0).isPrimitive()
                    && items.asGroupType().getType(0).isRepetition(Type.Repetition.REPEATED)
                    && items.asGroupType().getType(0).asGroupType().getFieldCount() == 1
                    && items.asGroupType().getType(0).asGroupType().getType(0).isPrimitive();
            PrimitiveType.PrimitiveTypeName element = list
                    ? items.asGroupType().getType(0).asGroupType().getType(0).asPrimitiveType().getPrimitiveTypeName()
                    : null;
            if (element != PrimitiveType.PrimitiveTypeName.INT32 && element != PrimitiveType.PrimitiveTypeName.INT64) {
                throw new IOException(path + ": column '" + SEQUENCE_ITEMS_COLUMN
                        + "' must be a list of int32 or int64 item indices, found " + items);
            }
        }

        public Path path() {
            return path;
        }

        public int rowGroups() {
            return firstRow.length - 1;
        }

        public long rowCount() {
            return firstRow[firstRow.length - 1];
        }

        /** Positions the reader at the start of row group {@code index}; {@link #next()} then reads its rows. */
        public void seekRowGroup(int index) throws IOException {
            PageReadStore pages = reader.readRowGroup(index);
            records = io.getRecordReader(pages, new GroupRecordConverter(schema));
            remaining = pages.getRowCount();
            row = firstRow[index];
            // Ascending users are checked within a row group; across groups by the first row of each.
            previousUser = -1;
        }

        /** Reads the next row of the current row group into {@link #user()} and {@link #items()}; false at its end. */
        public boolean next() throws IOException {
            if (records == null || remaining == 0) {
                return false;
            }
            Group g = records.read();
            remaining--;
            long r = row++;
            long u = g.getFieldRepetitionCount(USER_COLUMN) == 0 ? -1 : userValue(g);
            if (u < 0 || u >= numUsers) {
                throw new IOException(String.format("%s: row %d, column '%s': user index %s is outside the id map (0..%d)",
                        path, r, USER_COLUMN, u < 0 && g.getFieldRepetitionCount(USER_COLUMN) == 0 ? "null" : u,
                        numUsers - 1));
            }
            if (u <= previousUser) {
                throw new IOException(String.format("%s: row %d, column '%s': user %d after user %d; a part holds each "
                        + "user once, in ascending order", path, r, USER_COLUMN, u, previousUser));
            }
            previousUser = u;
            user = (int) u;
            Group list = g.getGroup(SEQUENCE_ITEMS_COLUMN, 0);
            int n = list.getFieldRepetitionCount(LIST);
            if (n > items.length) {
                items = Arrays.copyOf(items, Math.max(n, items.length * 2));
            }
            boolean int64 = schema.getType(SEQUENCE_ITEMS_COLUMN).asGroupType().getType(0).asGroupType().getType(0)
                    .asPrimitiveType().getPrimitiveTypeName() == PrimitiveType.PrimitiveTypeName.INT64;
            for (int i = 0; i < n; i++) {
                Group e = list.getGroup(LIST, i);
                long item = int64 ? e.getLong(ELEMENT, 0) : e.getInteger(ELEMENT, 0);
                if (item < 0 || item >= numItems) {
                    throw new IOException(String.format("%s: row %d, column '%s': element %d, item index %d is outside "
                            + "the id map (0..%d)", path, r, SEQUENCE_ITEMS_COLUMN, i, item, numItems - 1));
                }
                items[i] = (int) item;
            }
            length = n;
            return true;
        }

        private long userValue(Group g) {
            return schema.getType(USER_COLUMN).asPrimitiveType().getPrimitiveTypeName()
                    == PrimitiveType.PrimitiveTypeName.INT32 ? g.getInteger(USER_COLUMN, 0) : g.getLong(USER_COLUMN, 0);
        }

        public int user() {
            return user;
        }

        /** The file's index of the row {@link #next()} read last. */
        public long lastRow() {
            return row - 1;
        }

        /** The current user's items, oldest first: valid up to {@link #length()} until the next {@link #next()}. */
        public int[] items() {
            return items;
        }

        public int length() {
            return length;
        }

        @Override
        public void close() throws IOException {
            reader.close();
        }
    }
}
