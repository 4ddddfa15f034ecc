package io.twotower.job.train;

import io.twotower.connectors.dataset.DatasetLayout;
import io.twotower.connectors.dataset.DatasetManifest;
import io.twotower.connectors.dataset.IdMapFile;
import io.twotower.connectors.dataset.SequenceFiles;
import io.twotower.connectors.source.TrainingLayout;
import org.apache.flink.core.fs.FileStatus;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.Path;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * A prepared-data folder, checked completely before a job is submitted: both id maps, and every row of
 * the training data (the notebook's file or the compact layout's parts, streamed: memory does not grow with them),
 * validation and (when there is one) test files against them. Bad input fails here, before any training, with the
 * file, row and column.
 */
public final class PreparedData {
    public final DatasetLayout layout;
    public final int numUsers;
    public final int numItems;
    public final List<String> trainFiles;
    /** The compact layout's manifest, or null for the notebook's layout. */
    public final DatasetManifest manifest;
    public final long trainRows;
    public final int validationRows;
    /** Rows of sequences_test.parquet ({@code prepare --holdout val+test}), 0 without that file. */
    public final int testRows;

    private PreparedData(DatasetLayout layout, int numUsers, int numItems, List<String> trainFiles,
            DatasetManifest manifest, long trainRows, int validationRows, int testRows) {
        this.layout = layout;
        this.manifest = manifest;
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
        Path manifestPath = layout.manifest();
        DatasetManifest manifest = null;
        List<String> files;
        long rows;
        if (manifestPath.getFileSystem().exists(manifestPath)) {
            // The compact layout: every part streamed once (bounded memory), every value checked, rows counted.
            manifest = DatasetManifest.read(manifestPath);
            files = new ArrayList<>();
            for (DatasetManifest.Part part : manifest.parts) {
                files.add(new Path(layout.userSequences(), part.file).toString());
            }
            rows = TrainingLayout.userSequenceRows(files, users, items, manifest.maxHistory, 0, 0);
            if (rows != manifest.trainRows()) {
                throw new IOException(String.format("%s: the parts hold %d training interactions, the manifest says %d",
                        manifestPath, rows, manifest.trainRows()));
            }
        } else {
            files = trainFiles(layout.train());
            rows = 0;
            for (String f : files) {
                rows += SequenceFiles.forEach(new Path(f), users, items, (user, pos, history, n) -> { });
            }
            if (rows == 0) {
                throw new IOException(layout.train() + ": no rows");
            }
        }
        // Streamed, as the training files: a check and a count, nothing kept (one row per user can be millions).
        long validationRows = SequenceFiles.forEach(layout.validation(), users, items, (user, pos, history, n) -> { });
        Path test = layout.test();
        long testRows = test.getFileSystem().exists(test)
                ? SequenceFiles.forEach(test, users, items, (user, pos, history, n) -> { }) : 0;
        return new PreparedData(layout, users, items, files, manifest, rows, Math.toIntExact(validationRows),
                Math.toIntExact(testRows));
    }

    /** How the source reads {@link #trainFiles}: the notebook's files, or the compact parts with a shuffle buffer. */
    public TrainingLayout trainingLayout(int shuffleBufferRows) {
        return manifest == null ? TrainingLayout.notebook()
                : TrainingLayout.userSequences(manifest.maxHistory, shuffleBufferRows);
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
