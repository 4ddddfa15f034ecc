package io.twotower.bench;

import io.twotower.connectors.dataset.DatasetLayout;
import io.twotower.connectors.dataset.DatasetManifest;
import io.twotower.connectors.dataset.IdMapFile;
import io.twotower.connectors.dataset.UserSequenceFiles;
import org.apache.flink.connector.file.src.FileSourceSplit;
import org.apache.flink.connector.file.src.reader.BulkFormat;
import org.apache.flink.connector.file.src.util.RecordAndPosition;
import org.apache.flink.core.fs.Path;
import org.apache.flink.formats.parquet.ParquetColumnarRowInputFormat;
import org.apache.flink.table.data.ArrayData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.runtime.typeutils.InternalTypeInfo;
import org.apache.flink.table.types.logical.ArrayType;
import org.apache.flink.table.types.logical.BigIntType;
import org.apache.flink.table.types.logical.IntType;
import org.apache.flink.table.types.logical.LogicalType;
import org.apache.flink.table.types.logical.RowType;

import java.io.File;
import java.util.Locale;

/**
 * The compact layout's parts decoded two ways, on the same files, alternately: flink-parquet's vectorized
 * {@link ParquetColumnarRowInputFormat} (batches of column vectors, each user's list as {@link ArrayData}) against
 * the Parquet column API the training source uses ({@link UserSequenceFiles#forEachUser}, its reader); prints interactions/s.
 * {@code bench/run-flink-parquet.sh DIR [reps]}.
 */
public final class ColumnarReadSpeed {
    private ColumnarReadSpeed() {}

    public static void main(String[] args) throws Exception {
        DatasetLayout layout = new DatasetLayout(new Path(args[0]));
        int reps = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        DatasetManifest manifest = DatasetManifest.read(layout.manifest());
        int users = IdMapFile.read(layout.userMap(), DatasetLayout.USER_ID_COLUMN, DatasetLayout.USER_IDX_COLUMN).length;
        int items = IdMapFile.read(layout.itemMap(), DatasetLayout.ITEM_ID_COLUMN, DatasetLayout.ITEM_IDX_COLUMN).length;
        RowType rowType = RowType.of(new LogicalType[] {new BigIntType(false), new ArrayType(new IntType(false))},
                new String[] {DatasetLayout.USER_COLUMN, DatasetLayout.SEQUENCE_ITEMS_COLUMN});
        ParquetColumnarRowInputFormat<FileSourceSplit> format = new ParquetColumnarRowInputFormat<>(
                new org.apache.hadoop.conf.Configuration(), rowType, InternalTypeInfo.of(rowType), 2048, true, true);
        for (int rep = 0; rep < reps; rep++) {
            long t0 = System.nanoTime();
            long[] flink = {0, 0};
            for (DatasetManifest.Part part : manifest.parts) {
                Path path = new Path(layout.userSequences(), part.file);
                long length = new File(path.toUri().getPath()).length();
                FileSourceSplit split = new FileSourceSplit("p", path, 0, length, 0, length);
                BulkFormat.Reader<RowData> reader = format.createReader(new org.apache.flink.configuration.Configuration(),
                        split);
                BulkFormat.RecordIterator<RowData> batch;
                while ((batch = reader.readBatch()) != null) {
                    RecordAndPosition<RowData> r;
                    while ((r = batch.next()) != null) {
                        RowData row = r.getRecord();
                        ArrayData list = row.getArray(1);
                        int n = list.size();
                        flink[0] += n;
                        flink[1] += row.getLong(0) + (n > 0 ? list.getInt(n - 1) : 0);
                    }
                    batch.releaseBatch();
                }
                reader.close();
            }
            double flinkSeconds = (System.nanoTime() - t0) / 1e9;

            long t1 = System.nanoTime();
            long[] column = {0, 0};
            for (DatasetManifest.Part part : manifest.parts) {
                UserSequenceFiles.forEachUser(new Path(layout.userSequences(), part.file), users, items,
                        (user, seq, n, row) -> {
                            column[0] += n;
                            column[1] += user + (n > 0 ? seq[n - 1] : 0);
                        });
            }
            double columnSeconds = (System.nanoTime() - t1) / 1e9;
            if (flink[0] != column[0] || flink[1] != column[1]) {
                throw new IllegalStateException("the readers disagree: " + flink[0] + "/" + flink[1] + " against "
                        + column[0] + "/" + column[1]);
            }
            System.out.printf(Locale.ROOT, "rep %d: %d interactions: flink-parquet columnar %.2f s (%.0f/s), "
                            + "Parquet column API %.2f s (%.0f/s)%n", rep, column[0], flinkSeconds,
                    column[0] / flinkSeconds, columnSeconds, column[0] / columnSeconds);
        }
    }
}
