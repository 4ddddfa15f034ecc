package io.twotower.job.train;

import io.twotower.connectors.dataset.DatasetLayout;
import io.twotower.connectors.dataset.IdMapFile;
import io.twotower.connectors.dataset.SequenceFiles;
import io.twotower.connectors.dataset.Sequences;
import org.apache.flink.core.fs.FileStatus;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.Path;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * A prepared-data folder, checked completely before a job is submitted: both id maps, and every row of
 * the training, validation and (when there is one) test files against them. Bad input fails here, before any training, with the
 * file, row and column.
 */
public final class PreparedData {
    public final DatasetLayout layout;
    public final int numUsers;
    public final int numItems;
    public final List<String> trainFiles;
    public final long trainRows;
    public final int validationRows;
    /** Rows of sequences_test.parquet ({@code prepare --holdout val+test}), 0 without that file. */
    public final int testRows;

    private PreparedData(DatasetLayout layout, int numUsers, int numItems, List<String> trainFiles, long trainRows,
            int validationRows, int testRows) {
        this.layout = layout;
        this.numUsers = numUsers;
        this.numItems = numItems;
        this.trainFiles = trainFiles;
        this.trainRows = trainRows;
        this.validationRows = validationRows;
        this.testRows = testRows;
    }

    public static PreparedData validate(String dataDir) throws IOException {
        DatasetLayout layout = new DatasetLayout(new Path(dataDir));
        if (!layout.root().getFileSystem().exists(layout.root())) {
            throw new IOException(layout.root() + ": --data folder not found");
        }
        int users = IdMapFile.read(layout.userMap(), DatasetLayout.USER_ID_COLUMN, DatasetLayout.USER_IDX_COLUMN).length;
        int items = IdMapFile.read(layout.itemMap(), DatasetLayout.ITEM_ID_COLUMN, DatasetLayout.ITEM_IDX_COLUMN).length;
        List<String> files = trainFiles(layout.train());
        long rows = 0;
        for (String f : files) {
            rows += SequenceFiles.read(new Path(f), users, items).size();
        }
        Sequences validation = SequenceFiles.read(layout.validation(), users, items);
        Path test = layout.test();
        int testRows = test.getFileSystem().exists(test) ? SequenceFiles.read(test, users, items).size() : 0;
        return new PreparedData(layout, users, items, files, rows, validation.size(), testRows);
    }

    /** The training file, or the part files of a folder of that name (as Flink's file sinks write). */
    static List<String> trainFiles(Path train) throws IOException {
        FileSystem fs = train.getFileSystem();
        if (!fs.exists(train)) {
            throw new IOException(train + ": file not found");
        }
        List<String> files = new ArrayList<>();
        if (fs.getFileStatus(train).isDir()) {
            for (FileStatus s : fs.listStatus(train)) {
                String name = s.getPath().getName();
                if (!s.isDir() && !name.startsWith(".") && !name.startsWith("_")) {
                    files.add(s.getPath().toString());
                }
            }
            files.sort(String::compareTo);
            if (files.isEmpty()) {
                throw new IOException(train + ": the folder holds no part files");
            }
        } else {
            files.add(train.toString());
        }
        return files;
    }
}
