package io.twotower.connectors.dataset;

import io.twotower.connectors.parquet.FlinkInputFile;
import io.twotower.connectors.parquet.FlinkOutputFile;
import org.apache.flink.core.fs.Path;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.column.ColumnReader;
import org.apache.parquet.column.impl.ColumnReadStoreImpl;
import org.apache.parquet.column.page.PageReadStore;
import org.apache.parquet.example.data.simple.convert.GroupRecordConverter;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.metadata.BlockMetaData;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
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
        private final ParquetWriter<UserSequenceWriteSupport.Row> writer;
        private final UserSequenceWriteSupport.Row row = new UserSequenceWriteSupport.Row();
        private int lastUser = -1;
        private long users;
        private long interactions;

        public Writer(Path path) throws IOException {
            this(path, ROW_GROUP_BYTES);
        }

        public Writer(Path path, long rowGroupBytes) throws IOException {
            this.path = path;
            this.writer = new UserSequenceWriteSupport.Builder(new FlinkOutputFile(path))
                    .withWriteMode(ParquetFileWriter.Mode.OVERWRITE)
                    // ZSTD's entropy coding exploits popular items' frequent dictionary ids, which snappy cannot:
                    // 19.5 MB against 23.9 MB for 10^7 interactions, decoding as fast (BENCHMARKS.md "Data scale").
                    // zstd-jni comes with kafka-clients.
                    .withCompressionCodec(CompressionCodecName.ZSTD)
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
            row.user = user;
            row.items = items;
            row.from = from;
            row.to = to;
            writer.write(row);
            row.items = null;
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

    /** Receives each user's row of a part; {@code items[0 .. length)} is valid only during the call. */
    public interface UserVisitor {
        void visit(int user, int[] items, int length, long row) throws IOException;
    }

    /** Streams every row of {@code part}, row groups in file order, with {@link Reader}'s checks. */
    public static void forEachUser(Path part, int numUsers, int numItems, UserVisitor visitor) throws IOException {
        try (Reader r = Reader.open(part, numUsers, numItems)) {
            for (int g = 0; g < r.rowGroups(); g++) {
                r.seekRowGroup(g);
                while (r.next()) {
                    visitor.visit(r.user(), r.items(), r.length(), r.lastRow());
                }
            }
        }
    }

    /**
     * Reads a part one row group at a time, in any order of row groups, checking every value: user and item indices
     * inside the id maps, users ascending within the part. Errors name the file, the row (its index in the file) and
     * the column. Memory: one row group's pages. Values are read straight from Parquet's column readers (no record
     * objects: a Group per user and per list element cost more than the decoding: 21.8M against 9.5M interactions/s,
     * BENCHMARKS.md "Data scale").
     */
    public static final class Reader implements AutoCloseable {
        private final Path path;
        private final int numUsers;
        private final int numItems;
        private final ParquetFileReader reader;
        private final MessageType schema;
        private final ColumnDescriptor userColumn;
        private final ColumnDescriptor itemColumn;
        private final boolean userInt64;
        private final boolean itemInt64;
        /** Definition level of a present list (below it: a null or empty list); the element's is maxDefinition. */
        private final int listDefinition;
        private final long[] firstRow;
        private ColumnReader users;
        private ColumnReader elements;
        private long userValuesLeft;
        private long elementValuesLeft;
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
            String[] elementPath = {SEQUENCE_ITEMS_COLUMN, schema.getType(SEQUENCE_ITEMS_COLUMN).asGroupType()
                    .getType(0).getName(), schema.getType(SEQUENCE_ITEMS_COLUMN).asGroupType().getType(0)
                    .asGroupType().getType(0).getName()};
            this.userColumn = schema.getColumnDescription(new String[] {USER_COLUMN});
            this.itemColumn = schema.getColumnDescription(elementPath);
            this.userInt64 = userColumn.getPrimitiveType().getPrimitiveTypeName() == PrimitiveType.PrimitiveTypeName.INT64;
            this.itemInt64 = itemColumn.getPrimitiveType().getPrimitiveTypeName() == PrimitiveType.PrimitiveTypeName.INT64;
            boolean optionalElement = schema.getType(elementPath).isRepetition(Type.Repetition.OPTIONAL);
            this.listDefinition = itemColumn.getMaxDefinitionLevel() - (optionalElement ? 1 : 0);
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
            if (!u.isPrimitive() || u.isRepetition(Type.Repetition.REPEATED)
                    || (u.asPrimitiveType().getPrimitiveTypeName() != PrimitiveType.PrimitiveTypeName.INT64
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
            ColumnReadStoreImpl store = new ColumnReadStoreImpl(pages, new GroupRecordConverter(schema)
                    .getRootConverter(), schema, reader.getFooter().getFileMetaData().getCreatedBy());
            users = store.getColumnReader(userColumn);
            elements = store.getColumnReader(itemColumn);
            userValuesLeft = pages.getRowCount();
            elementValuesLeft = elements.getTotalValueCount();
            row = firstRow[index];
            // Ascending users are checked within a row group; across groups by the validation pass (a bit per user).
            previousUser = -1;
        }

        /** Reads the next row of the current row group into {@link #user()} and {@link #items()}; false at its end. */
        public boolean next() throws IOException {
            if (users == null || userValuesLeft == 0) {
                return false;
            }
            long r = row++;
            userValuesLeft--;
            boolean present = users.getCurrentDefinitionLevel() == userColumn.getMaxDefinitionLevel();
            long u = present ? (userInt64 ? users.getLong() : users.getInteger()) : -1;
            users.consume();
            if (!present || u < 0 || u >= numUsers) {
                throw new IOException(String.format("%s: row %d, column '%s': user index %s is outside the id map (0..%d)",
                        path, r, USER_COLUMN, present ? Long.toString(u) : "null", numUsers - 1));
            }
            if (u <= previousUser) {
                throw new IOException(String.format("%s: row %d, column '%s': user %d after user %d; a part holds each "
                        + "user once, in ascending order", path, r, USER_COLUMN, u, previousUser));
            }
            previousUser = u;
            user = (int) u;
            // The row's list: its first value has repetition level 0, the rest 1; below listDefinition it is empty.
            int n = 0;
            boolean first = true;
            while (elementValuesLeft > 0 && (first || elements.getCurrentRepetitionLevel() > 0)) {
                int definition = elements.getCurrentDefinitionLevel();
                if (definition == itemColumn.getMaxDefinitionLevel()) {
                    long item = itemInt64 ? elements.getLong() : elements.getInteger();
                    if (item < 0 || item >= numItems) {
                        throw new IOException(String.format("%s: row %d, column '%s': element %d, item index %d is "
                                + "outside the id map (0..%d)", path, r, SEQUENCE_ITEMS_COLUMN, n, item, numItems - 1));
                    }
                    if (n == items.length) {
                        items = Arrays.copyOf(items, n * 2);
                    }
                    items[n++] = (int) item;
                } else if (definition >= listDefinition) {
                    throw new IOException(String.format("%s: row %d, column '%s': element %d is null", path, r,
                            SEQUENCE_ITEMS_COLUMN, n));
                }
                elements.consume();
                elementValuesLeft--;
                first = false;
            }
            length = n;
            return true;
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
