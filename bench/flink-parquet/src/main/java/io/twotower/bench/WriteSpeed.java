package io.twotower.bench;

import io.twotower.connectors.dataset.DatasetLayout;
import io.twotower.connectors.dataset.DatasetManifest;
import io.twotower.connectors.dataset.IdMapFile;
import io.twotower.connectors.dataset.UserSequenceFiles;
import io.twotower.connectors.parquet.FlinkOutputFile;
import org.apache.flink.core.fs.Path;
import org.apache.flink.formats.parquet.row.ParquetRowDataBuilder;
import org.apache.flink.table.data.GenericArrayData;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.types.logical.ArrayType;
import org.apache.flink.table.types.logical.BigIntType;
import org.apache.flink.table.types.logical.IntType;
import org.apache.flink.table.types.logical.LogicalType;
import org.apache.flink.table.types.logical.RowType;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType;
import org.apache.parquet.schema.Types;

import java.io.File;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The compact layout's parts written three ways from the same users in memory, in turn, with the same codec (ZSTD)
 * and row-group size: parquet-mr's example {@code Group} writer (what {@code prepare} used), the record-consumer
 * writer {@code prepare} uses now ({@link UserSequenceFiles.Writer}), and flink-parquet's {@link ParquetRowDataBuilder}
 * (the writer behind its bulk format, {@code ParquetWriterFactory}) fed {@link RowData}. Every file is read back with the training source's
 * reader and must give the same checksum. {@code bench/run-flink-parquet.sh --write DIR [reps]}.
 */
public final class WriteSpeed {
    private WriteSpeed() {}

    public static void main(String[] args) throws Exception {
        DatasetLayout layout = new DatasetLayout(new Path(args[0]));
        int reps = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        File scratch = new File(args.length > 2 ? args[2] : "/tmp/twotower-write-speed");
        scratch.mkdirs();
        DatasetManifest manifest = DatasetManifest.read(layout.manifest());
        int users = IdMapFile.read(layout.userMap(), DatasetLayout.USER_ID_COLUMN, DatasetLayout.USER_IDX_COLUMN).length;
        int items = IdMapFile.read(layout.itemMap(), DatasetLayout.ITEM_ID_COLUMN, DatasetLayout.ITEM_IDX_COLUMN).length;
        // Every part's users in memory, so the writers are measured without the reading.
        List<List<int[]>> parts = new ArrayList<>();
        List<List<Integer>> partUsers = new ArrayList<>();
        long interactions = 0;
        for (DatasetManifest.Part part : manifest.parts) {
            List<int[]> seqs = new ArrayList<>();
            List<Integer> ids = new ArrayList<>();
            UserSequenceFiles.forEachUser(new Path(layout.userSequences(), part.file), users, items,
                    (user, seq, n, row) -> {
                        ids.add(user);
                        seqs.add(java.util.Arrays.copyOf(seq, n));
                    });
            parts.add(seqs);
            partUsers.add(ids);
            for (int[] s : seqs) {
                interactions += s.length;
            }
        }
        long expected = checksum(layout, manifest, users, items);
        RowType rowType = RowType.of(new LogicalType[] {new BigIntType(false), new ArrayType(new IntType(false))},
                new String[] {DatasetLayout.USER_COLUMN, DatasetLayout.SEQUENCE_ITEMS_COLUMN});
        String[] kinds = {"group", "consumer", "flink"};
        for (int rep = 0; rep < reps; rep++) {
            StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "rep %d: %d interactions:", rep,
                    interactions));
            for (String kind : kinds) {
                long t0 = System.nanoTime();
                long bytes = 0;
                for (int p = 0; p < parts.size(); p++) {
                    Path out = new Path(new File(scratch, kind + "-" + p + ".parquet").getPath());
                    write(kind, out, rowType, partUsers.get(p), parts.get(p));
                    bytes += new File(out.getPath()).length();
                }
                double seconds = (System.nanoTime() - t0) / 1e9;
                long sum = 0;
                for (int p = 0; p < parts.size(); p++) {
                    sum += partChecksum(new Path(new File(scratch, kind + "-" + p + ".parquet").getPath()), users, items);
                }
                if (sum != expected) {
                    throw new IllegalStateException(kind + " wrote other data: checksum " + sum + ", expected " + expected);
                }
                line.append(String.format(Locale.ROOT, " %s %.2f s (%.0f/s, %d bytes);", NAMES.get(kind), seconds,
                        interactions / seconds, bytes));
            }
            System.out.println(line);
        }
    }

    private static final java.util.Map<String, String> NAMES = java.util.Map.of(
            "group", "parquet-mr example Group writer (prepare's before)",
            "consumer", "record-consumer writer (UserSequenceFiles.Writer)",
            "flink", "flink-parquet RowData writer");

    /** parquet-mr's example schema for the compact layout's parts, as UserSequenceFiles defines it. */
    private static final MessageType SCHEMA = Types.buildMessage()
            .required(PrimitiveType.PrimitiveTypeName.INT64).named(DatasetLayout.USER_COLUMN)
            .requiredGroup().as(LogicalTypeAnnotation.listType())
            .repeatedGroup().required(PrimitiveType.PrimitiveTypeName.INT32).named("element").named("list")
            .named(DatasetLayout.SEQUENCE_ITEMS_COLUMN)
            .named("user_sequences");

    /** The settings UserSequenceFiles.Writer uses, so every writer makes the same files. */
    private static <T, B extends ParquetWriter.Builder<T, B>> B sameSettings(B builder) {
        return builder.withWriteMode(ParquetFileWriter.Mode.OVERWRITE)
                .withCompressionCodec(CompressionCodecName.ZSTD)
                .withRowGroupSize(UserSequenceFiles.ROW_GROUP_BYTES)
                .withMinRowCountForPageSizeCheck(10)
                .withMaxRowCountForPageSizeCheck(1000);
    }

    private static void write(String kind, Path out, RowType rowType, List<Integer> ids, List<int[]> seqs)
            throws Exception {
        switch (kind) {
            case "consumer":
                try (UserSequenceFiles.Writer w = new UserSequenceFiles.Writer(out)) {
                    for (int u = 0; u < seqs.size(); u++) {
                        w.add(ids.get(u), seqs.get(u), 0, seqs.get(u).length);
                    }
                }
                return;
            case "group": {
                // The writer prepare used before: one Group per user and one per list element.
                SimpleGroupFactory groups = new SimpleGroupFactory(SCHEMA);
                try (ParquetWriter<Group> w = sameSettings(ExampleParquetWriter.builder(new FlinkOutputFile(out))
                        .withType(SCHEMA)).build()) {
                    for (int u = 0; u < seqs.size(); u++) {
                        Group g = groups.newGroup().append(DatasetLayout.USER_COLUMN, (long) ids.get(u));
                        Group list = g.addGroup(DatasetLayout.SEQUENCE_ITEMS_COLUMN);
                        for (int item : seqs.get(u)) {
                            list.addGroup("list").append("element", item);
                        }
                        w.write(g);
                    }
                }
                return;
            }
            default:
                try (ParquetWriter<RowData> w = sameSettings(
                        new ParquetRowDataBuilder(new FlinkOutputFile(out), rowType, true)).build()) {
                    for (int u = 0; u < seqs.size(); u++) {
                        w.write(GenericRowData.of((long) ids.get(u), new GenericArrayData(seqs.get(u))));
                    }
                }
        }
    }

    private static long checksum(DatasetLayout layout, DatasetManifest manifest, int users, int items) throws Exception {
        long sum = 0;
        for (DatasetManifest.Part part : manifest.parts) {
            sum += partChecksum(new Path(layout.userSequences(), part.file), users, items);
        }
        return sum;
    }

    /** An order-sensitive checksum of every (user, item) of a part, as the training source's reader decodes it. */
    private static long partChecksum(Path part, int users, int items) throws Exception {
        long[] sum = {0};
        UserSequenceFiles.forEachUser(part, users, items, (user, seq, n, row) -> {
            long h = user;
            for (int i = 0; i < n; i++) {
                h = h * 31 + seq[i];
            }
            sum[0] += h * (row + 1);
        });
        return sum[0];
    }
}
