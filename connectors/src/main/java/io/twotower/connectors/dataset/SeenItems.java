package io.twotower.connectors.dataset;

import io.twotower.connectors.parquet.ParquetRows;
import org.apache.flink.core.fs.Path;

import java.io.IOException;
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
        forEachTrainingItem(layout, numUsers, numItems, (u, item) -> {
            if (u == userIdx) {
                items.add(item);
            }
        });
        for (Path heldOut : List.of(layout.validation(), layout.test())) {
            if (heldOut.getFileSystem().exists(heldOut)) {
                SequenceFiles.forEach(heldOut, numUsers, numItems, (u, positive, history, n) -> {
                    if (u == userIdx) {
                        items.add(positive);
                        for (int i = 0; i < n; i++) {
                            items.add(history[i]);
                        }
                    }
                });
            }
        }
        return new HashSet<>(rawIds(layout.itemMap(), items));
    }

    /**
     * Every user's training items as dense indices, sorted and distinct, indexed by user. A held-out row's history
     * in the sequence files holds only its last {@code --max-history} items, so it is not the whole of what the user
     * saw; the evaluation excludes this instead, as the sequential baselines do. Holds 4 bytes per distinct (user,
     * item) of the training data.
     */
    public static int[][] byUser(DatasetLayout layout, int numUsers, int numItems) throws IOException {
        IntList[] seen = new IntList[numUsers];
        forEachTrainingItem(layout, numUsers, numItems, (u, item) -> add(seen, u, item));
        int[][] out = new int[numUsers][];
        for (int u = 0; u < numUsers; u++) {
            out[u] = seen[u] == null ? new int[0] : seen[u].sortedDistinct();
        }
        return out;
    }

    /**
     * {@code byUser} with {@code items[r]} added to user {@code users[r]}'s items (e.g. the validation positives,
     * seen by the time of the test item); arrays of other users are shared, not copied.
     */
    public static int[][] plus(int[][] byUser, int[] users, int[] items) {
        int[][] out = byUser.clone();
        for (int r = 0; r < users.length; r++) {
            int[] a = out[users[r]];
            int at = java.util.Arrays.binarySearch(a, items[r]);
            if (at < 0) {
                int insert = -at - 1;
                int[] b = new int[a.length + 1];
                System.arraycopy(a, 0, b, 0, insert);
                b[insert] = items[r];
                System.arraycopy(a, insert, b, insert + 1, a.length - insert);
                out[users[r]] = b;
            }
        }
        return out;
    }

    /** Receives one (user, item) of the training data; an item may come more than once. */
    private interface ItemOfUser {
        void accept(int user, int item);
    }

    /** Every (user, item) of the training data: the compact layout's user sequences, or the notebook's rows. */
    private static void forEachTrainingItem(DatasetLayout layout, int numUsers, int numItems, ItemOfUser out)
            throws IOException {
        if (layout.manifest().getFileSystem().exists(layout.manifest())) {
            for (DatasetManifest.Part part : DatasetManifest.read(layout.manifest()).parts) {
                UserSequenceFiles.forEachUser(new Path(layout.userSequences(), part.file), numUsers, numItems,
                        (u, sequence, length, row) -> {
                            for (int i = 0; i < length; i++) {
                                out.accept(u, sequence[i]);
                            }
                        });
            }
            return;
        }
        // A training row's history is the items before its positive, each of which is the positive of an earlier
        // row but the user's first item; the oldest history item covers that one, so the rest of the (up to
        // max-history) items need not be read again for every row.
        SequenceFiles.forEach(layout.train(), numUsers, numItems, (u, positive, history, n) -> {
            out.accept(u, positive);
            if (n > 0) {
                out.accept(u, history[0]);
            }
        });
    }

    private static void add(IntList[] seen, int user, int item) {
        if (seen[user] == null) {
            seen[user] = new IntList();
        }
        seen[user].add(item);
    }

    /** A growable int array; sorted and deduplicated once at the end (a user's rows repeat their history). */
    private static final class IntList {
        private int[] values = new int[16];
        private int size;

        void add(int v) {
            if (size == values.length) {
                values = java.util.Arrays.copyOf(values, size * 2);
            }
            values[size++] = v;
        }

        int[] sortedDistinct() {
            int[] a = java.util.Arrays.copyOf(values, size);
            java.util.Arrays.sort(a);
            int n = 0;
            for (int i = 0; i < a.length; i++) {
                if (n == 0 || a[i] != a[n - 1]) {
                    a[n++] = a[i];
                }
            }
            return java.util.Arrays.copyOf(a, n);
        }
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
