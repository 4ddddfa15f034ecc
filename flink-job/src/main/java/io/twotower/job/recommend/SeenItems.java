package io.twotower.job.recommend;

import io.twotower.connectors.dataset.DatasetLayout;
import io.twotower.connectors.dataset.IdMapFile;
import io.twotower.connectors.dataset.DatasetManifest;
import io.twotower.connectors.dataset.SequenceFiles;
import io.twotower.connectors.dataset.UserSequenceFiles;
import io.twotower.connectors.parquet.ParquetRows;
import org.apache.flink.core.fs.Path;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A user's seen items from a {@code prepare} output folder: every item of the user's rows in the training data
 * (the notebook's file, or the user's sequence in the compact layout's parts), validation and (with
 * {@code --holdout val+test}) test sequence files (positives and histories), as raw ids. A snapshot holds vectors, not interaction
 * logs; the prepared folder is what the trainer learnt from. The files are streamed, one row at a time.
 */
public final class SeenItems {
    private SeenItems() {}

    /** The raw ids of the items {@code rawUserId} interacted with in {@code preparedDir}. */
    public static Set<String> ofUser(Path preparedDir, String rawUserId) throws IOException {
        DatasetLayout layout = new DatasetLayout(preparedDir);
        boolean compact = layout.manifest().getFileSystem().exists(layout.manifest());
        for (Path required : List.of(layout.userMap(), layout.itemMap(), compact ? layout.manifest() : layout.train())) {
            if (!required.getFileSystem().exists(required)) {
                throw new IOException("--seen " + preparedDir + ": not a prepared data folder (no " + required.getName()
                        + "; give the folder `prepare --output` wrote)");
            }
        }
        Map<String, Integer> user = IdMapFile.indicesOf(layout.userMap(), DatasetLayout.USER_ID_COLUMN,
                DatasetLayout.USER_IDX_COLUMN, List.of(rawUserId));
        if (!user.containsKey(rawUserId)) {
            throw new IOException("user '" + rawUserId + "' is not in " + layout.userMap() + " (--seen)");
        }
        int userIdx = user.get(rawUserId);
        int numUsers = rows(layout.userMap());
        int numItems = rows(layout.itemMap());
        Set<Integer> items = new HashSet<>();
        List<Path> files = new ArrayList<>();
        if (compact) {
            for (DatasetManifest.Part part : DatasetManifest.read(layout.manifest()).parts) {
                UserSequenceFiles.forEachUser(new Path(layout.userSequences(), part.file), numUsers, numItems,
                        (u, sequence, length, row) -> {
                            if (u == userIdx) {
                                for (int i = 0; i < length; i++) {
                                    items.add(sequence[i]);
                                }
                            }
                        });
            }
        } else {
            files.add(layout.train());
        }
        for (Path heldOut : List.of(layout.validation(), layout.test())) {
            if (heldOut.getFileSystem().exists(heldOut)) {
                files.add(heldOut);
            }
        }
        for (Path sequences : files) {
            SequenceFiles.forEach(sequences, numUsers, numItems, (u, positive, history, n) -> {
                if (u == userIdx) {
                    items.add(positive);
                    for (int i = 0; i < n; i++) {
                        items.add(history[i]);
                    }
                }
            });
        }
        return new HashSet<>(rawIds(layout.itemMap(), items));
    }

    private static Collection<String> rawIds(Path itemMap, Set<Integer> items) throws IOException {
        return IdMapFile.idsOf(itemMap, DatasetLayout.ITEM_ID_COLUMN, DatasetLayout.ITEM_IDX_COLUMN, items).values();
    }

    private static int rows(Path idMap) throws IOException {
        try (ParquetRows rows = ParquetRows.open(idMap)) {
            return Math.toIntExact(rows.rowCount());
        }
    }
}
