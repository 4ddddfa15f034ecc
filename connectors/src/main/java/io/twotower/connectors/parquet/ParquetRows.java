package io.twotower.connectors.parquet;

import org.apache.flink.core.fs.Path;
import org.apache.parquet.column.page.PageReadStore;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.convert.GroupRecordConverter;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.io.ColumnIOFactory;
import org.apache.parquet.io.MessageColumnIO;
import org.apache.parquet.io.RecordReader;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType;
import org.apache.parquet.schema.Type;

import java.io.IOException;

/**
 * Reads a Parquet file row by row through Flink's file systems, with typed column access that accepts
 * the encodings pandas, pyarrow and Flink write (int32 or int64 ids; string or binary text; nulls).
 */
public final class ParquetRows implements AutoCloseable {
    /** Receives each row with its 0-based index. */
    public interface RowVisitor {
        void visit(long row, ParquetRows rows) throws IOException;
    }

    private final Path path;
    private final ParquetFileReader reader;
    private final MessageType schema;
    private Group current;

    private ParquetRows(Path path, ParquetFileReader reader) {
        this.path = path;
        this.reader = reader;
        this.schema = reader.getFooter().getFileMetaData().getSchema();
    }

    public static ParquetRows open(Path path) throws IOException {
        if (!path.getFileSystem().exists(path)) {
            throw new IOException(path + ": file not found");
        }
        try {
            return new ParquetRows(path, ParquetFileReader.open(new FlinkInputFile(path)));
        } catch (RuntimeException | IOException e) {
            throw new IOException(path + ": not a readable Parquet file: " + e.getMessage(), e);
        }
    }

    public long rowCount() {
        return reader.getRecordCount();
    }

    /** Fails with a message naming the file and column unless {@code column} exists. */
    public void requireColumn(String column) throws IOException {
        if (!schema.containsField(column)) {
            throw new IOException(path + ": missing column '" + column + "' (columns: " + schema.getFields().stream()
                    .map(Type::getName).toList() + ")");
        }
    }

    /** Fails unless {@code column} holds integers (int32 or int64). */
    public void requireIntegerColumn(String column) throws IOException {
        requireColumn(column);
        Type t = schema.getType(column);
        if (!t.isPrimitive() || (t.asPrimitiveType().getPrimitiveTypeName() != PrimitiveType.PrimitiveTypeName.INT64
                && t.asPrimitiveType().getPrimitiveTypeName() != PrimitiveType.PrimitiveTypeName.INT32)) {
            throw new IOException(path + ": column '" + column + "' must be int32 or int64, found " + t);
        }
    }

    public void forEach(RowVisitor visitor) throws IOException {
        long row = 0;
        PageReadStore pages;
        MessageColumnIO io = new ColumnIOFactory().getColumnIO(schema);
        while ((pages = reader.readNextRowGroup()) != null) {
            RecordReader<Group> records = io.getRecordReader(pages, new GroupRecordConverter(schema));
            for (long i = 0; i < pages.getRowCount(); i++) {
                current = records.read();
                visitor.visit(row++, this);
            }
        }
    }

    public boolean isNull(String column) {
        return current.getFieldRepetitionCount(column) == 0;
    }

    /** An integer cell as a long, from int32 or int64. */
    public long getLong(String column, long row) throws IOException {
        if (isNull(column)) {
            throw new IOException(path + ": row " + row + ", column '" + column + "': null where an integer is required");
        }
        PrimitiveType.PrimitiveTypeName t = schema.getType(column).asPrimitiveType().getPrimitiveTypeName();
        return t == PrimitiveType.PrimitiveTypeName.INT32 ? current.getInteger(column, 0) : current.getLong(column, 0);
    }

    /** A cell as text (null when null); integers are rendered in decimal. */
    public String getString(String column) {
        if (isNull(column)) {
            return null;
        }
        Type t = schema.getType(column);
        switch (t.asPrimitiveType().getPrimitiveTypeName()) {
            case INT32:
                return Integer.toString(current.getInteger(column, 0));
            case INT64:
                return Long.toString(current.getLong(column, 0));
            default:
                return current.getString(column, 0);
        }
    }

    public Path path() {
        return path;
    }

    @Override
    public void close() throws IOException {
        reader.close();
    }
}
