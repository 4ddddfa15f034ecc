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
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** An id map file: one row per dense index with the raw id it stands for (raw id as text, index int64). */
public final class IdMapFile {
    private IdMapFile() {}

    public static void write(Path path, String idColumn, String indexColumn, List<String> rawIdsByIndex) throws IOException {
        try (Writer writer = new Writer(path, idColumn, indexColumn)) {
            for (String id : rawIdsByIndex) {
                writer.add(id);
            }
        }
    }

    /** Writes an id map row by row: the i-th id added gets index i (so ids must come in index order). */
    public static final class Writer implements AutoCloseable {
        private final String idColumn;
        private final String indexColumn;
        private final SimpleGroupFactory groups;
        private final ParquetWriter<Group> writer;
        private long next;

        public Writer(Path path, String idColumn, String indexColumn) throws IOException {
            this.idColumn = idColumn;
            this.indexColumn = indexColumn;
            MessageType schema = Types.buildMessage()
                    .required(PrimitiveType.PrimitiveTypeName.BINARY).as(LogicalTypeAnnotation.stringType())
                    .named(idColumn)
                    .required(PrimitiveType.PrimitiveTypeName.INT64).named(indexColumn)
                    .named("id_map");
            this.groups = new SimpleGroupFactory(schema);
            this.writer = ExampleParquetWriter.builder(new FlinkOutputFile(path))
                    .withType(schema)
                    .withWriteMode(ParquetFileWriter.Mode.OVERWRITE)
                    .withCompressionCodec(CompressionCodecName.SNAPPY)
                    .build();
        }

        /** Adds the next raw id; returns its dense index. */
        public long add(String rawId) throws IOException {
            writer.write(groups.newGroup().append(idColumn, rawId).append(indexColumn, next));
            return next++;
        }

        /** The ids added so far. */
        public long size() {
            return next;
        }

        @Override
        public void close() throws IOException {
            writer.close();
        }
    }

    /** Reads the raw ids by dense index; fails unless the indices are exactly 0..n-1. */
    public static String[] read(Path path, String idColumn, String indexColumn) throws IOException {
        try (ParquetRows rows = ParquetRows.open(path)) {
            rows.requireColumn(idColumn);
            rows.requireIntegerColumn(indexColumn);
            long n = rows.rowCount();
            if (n == 0) {
                throw new IOException(path + ": the id map is empty");
            }
            String[] ids = new String[Math.toIntExact(n)];
            rows.forEach((row, r) -> {
                long idx = r.getLong(indexColumn, row);
                if (idx < 0 || idx >= n || ids[(int) idx] != null) {
                    throw new IOException(String.format(
                            "%s: row %d, column '%s': index %d is out of range 0..%d or repeated",
                            path, row, indexColumn, idx, n - 1));
                }
                String id = r.getString(idColumn);
                if (id == null) {
                    throw new IOException(String.format("%s: row %d, column '%s': null id", path, row, idColumn));
                }
                ids[(int) idx] = id;
            });
            return ids;
        }
    }

    /**
     * The dense indices of {@code rawIds} that the map holds (absent ones are left out), read in one pass
     * without holding the map: what a lookup of a few ids in a large catalog needs.
     */
    public static Map<String, Integer> indicesOf(Path path, String idColumn, String indexColumn,
            Collection<String> rawIds) throws IOException {
        Set<String> wanted = new HashSet<>(rawIds);
        Map<String, Integer> found = new HashMap<>();
        scan(path, idColumn, indexColumn, (id, index) -> {
            if (wanted.contains(id)) {
                found.put(id, index);
            }
        });
        return found;
    }

    /** The raw ids of dense {@code indices} (absent ones are left out), read in one pass. */
    public static Map<Integer, String> idsOf(Path path, String idColumn, String indexColumn,
            Collection<Integer> indices) throws IOException {
        Set<Integer> wanted = new HashSet<>(indices);
        Map<Integer, String> found = new HashMap<>();
        scan(path, idColumn, indexColumn, (id, index) -> {
            if (wanted.contains(index)) {
                found.put(index, id);
            }
        });
        return found;
    }

    private interface Entry {
        void accept(String id, int index);
    }

    private static void scan(Path path, String idColumn, String indexColumn, Entry entry) throws IOException {
        try (ParquetRows rows = ParquetRows.open(path)) {
            rows.requireColumn(idColumn);
            rows.requireIntegerColumn(indexColumn);
            long n = rows.rowCount();
            rows.forEach((row, r) -> {
                long idx = r.getLong(indexColumn, row);
                if (idx < 0 || idx >= n) {
                    throw new IOException(String.format("%s: row %d, column '%s': index %d is out of range 0..%d",
                            path, row, indexColumn, idx, n - 1));
                }
                String id = r.getString(idColumn);
                if (id == null) {
                    throw new IOException(String.format("%s: row %d, column '%s': null id", path, row, idColumn));
                }
                entry.accept(id, (int) idx);
            });
        }
    }
}
