package io.twotower.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;

import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * Exact full-catalog ranking of held-out positives: for each (user, positive) row, the number of catalog
 * items that score strictly higher than the positive. Recall@K is then hits / rows exactly, not the
 * notebook's mean of per-batch means. Item vectors and scores are computed in blocks so memory stays
 * bounded for large catalogs.
 */
public final class RetrievalEvaluator {
    /**
     * Items whose vectors are computed at once, at least: the item tower's few ops per block cost DJL and libtorch a
     * fixed overhead each, so at eval_block_size (64) rows a 10M catalog took 156k blocks and minutes; 8192 rows of
     * d_model floats are a few MB.
     */
    static final int MIN_ITEM_BLOCK = 8192;

    private final int blockSize;

    public RetrievalEvaluator(int blockSize) {
        this.blockSize = blockSize;
    }

    /** Every item's vector (eval mode, no dropout), computed {@code blockSize} items at a time. */
    public NDArray allItemVectors(TwoTowerModel model, NDManager manager) {
        return inOneMatrix(model.numItems(), model.dModel(), manager, (scope, consumer) -> forEachItemBlock(model, scope, consumer));
    }

    /** Every user's vector (eval mode) from the user id alone, in blocks (seed mode). */
    public NDArray allUserVectors(TwoTowerModel model, NDManager manager) {
        return allUserVectors(model, null, manager);
    }

    /**
     * Every user's vector (eval mode), user u from histories[u] (its items, oldest first; null or empty
     * when unknown) for the history tower, from the id in seed mode, in blocks.
     */
    public NDArray allUserVectors(TwoTowerModel model, int[][] histories, NDManager manager) {
        return inOneMatrix(model.numUsers(), model.dModel(), manager,
                (scope, consumer) -> forEachUserBlock(model, histories, scope, consumer));
    }

    /** Receives consecutive blocks of a matrix's rows; {@code rows} is closed after the call. */
    public interface BlockConsumer {
        void accept(int start, NDArray rows) throws IOException;
    }

    /**
     * Every item's vector (eval mode), {@code blockSize} items at a time in row order, each block handed to
     * {@code consumer} and closed: what writes a catalog of any size without the whole matrix in memory.
     */
    public void forEachItemBlock(TwoTowerModel model, NDManager manager, BlockConsumer consumer) throws IOException {
        inBlocks(model.numItems(), Math.max(blockSize, MIN_ITEM_BLOCK), manager, (scope, start, end) -> model.itemVectors(
                scope.arange((long) start, (long) end, 1L, ai.djl.ndarray.types.DataType.INT64), false), consumer);
    }

    /** As {@link #forEachItemBlock} for every user's vector, as {@link #allUserVectors(TwoTowerModel, int[][], NDManager)}. */
    public void forEachUserBlock(TwoTowerModel model, int[][] histories, NDManager manager, BlockConsumer consumer)
            throws IOException {
        int[] users = new int[model.numUsers()];
        for (int u = 0; u < users.length; u++) {
            users[u] = u;
        }
        inBlocks(users.length, manager, (scope, start, end) -> model.userVectors(scope, users, histories, start, end),
                consumer);
    }

    /** Rows [start, end) of a matrix, computed in {@code scope}. */
    private interface Block {
        NDArray rows(NDManager scope, int start, int end);
    }

    /** Runs a {@code forEach...Block} method. */
    private interface BlockSource {
        void forEach(NDManager scope, BlockConsumer consumer) throws IOException;
    }

    /** The n rows of {@code block}, {@code blockSize} at a time, each handed to {@code consumer} in its own scope. */
    private void inBlocks(int n, NDManager manager, Block block, BlockConsumer consumer) throws IOException {
        inBlocks(n, blockSize, manager, block, consumer);
    }

    private static void inBlocks(int n, int rowsPerBlock, NDManager manager, Block block, BlockConsumer consumer)
            throws IOException {
        JniUtils.setGradMode(false);
        for (int start = 0; start < n; start += rowsPerBlock) {
            int end = Math.min(n, start + rowsPerBlock);
            try (NDManager scope = manager.newSubManager()) {
                consumer.accept(start, block.rows(scope, start, end));
            }
        }
    }

    /**
     * The blocks of {@code source} copied into one n x d matrix owned by {@code manager}, allocated once (joining
     * block by block would copy the matrix so far at every block: quadratic in the catalog).
     */
    private static NDArray inOneMatrix(int n, int d, NDManager manager, BlockSource source) {
        NDArray all = manager.zeros(new Shape(n, d));
        try {
            source.forEach(manager, (start, rows) -> all.set(
                    new NDIndex("{}:{}", start, start + rows.getShape().get(0)), rows));
        } catch (IOException e) {
            all.close();
            throw new UncheckedIOException(e);
        }
        return all;
    }

    /**
     * The 0-based rank of each row's positive among all items (items scoring strictly higher). Row r's
     * user is users[r] with the history histories[r] (oldest first; what the history tower reads). With
     * {@code excluded} non-null, row r's items excluded[r] cannot be ranked (seen-item filtering).
     */
    public int[] ranks(TwoTowerModel model, int[] users, int[][] histories, int[] positives, int[][] excluded) {
        return ranks(model, users, histories, positives, excluded, 0, null);
    }

    /**
     * As {@link #ranks(TwoTowerModel, int[], int[][], int[], int[][])}, and with {@code topK > 0} also marks
     * in {@code recommended} every item that appears in some row's top K (for catalog coverage).
     */
    public int[] ranks(TwoTowerModel model, int[] users, int[][] histories, int[] positives, int[][] excluded,
            int topK, boolean[] recommended) {
        JniUtils.setGradMode(false);
        int rows = users.length;
        int[] ranks = new int[rows];
        try (NDManager scope = model.manager().newSubManager()) {
            NDArray items = allItemVectors(model, scope);
            for (int start = 0; start < rows; start += blockSize) {
                int end = Math.min(rows, start + blockSize);
                try (NDManager blockScope = scope.newSubManager()) {
                    NDArray scores = model.userVectors(blockScope, users, histories, start, end)
                            .matMul(items.transpose());
                    if (excluded != null) {
                        scores = maskExcluded(blockScope, scores, excluded, positives, start, end);
                    }
                    int[] blockRanks = countAbove(scores, positiveScores(blockScope, scores, positives, start, end));
                    System.arraycopy(blockRanks, 0, ranks, start, blockRanks.length);
                    if (topK > 0 && recommended != null) {
                        int k = (int) Math.min(topK, scores.getShape().get(1));
                        for (long item : scores.topK(k, 1, true, false).get(1).toType(
                                ai.djl.ndarray.types.DataType.INT64, false).toLongArray()) {
                            recommended[(int) item] = true;
                        }
                    }
                }
            }
        }
        return ranks;
    }

    /**
     * Both rankings in one scoring pass: {@code [0]} over all items, {@code [1]} with row r's items
     * excluded[r] filtered (the positive itself never is). The filtered rank is the plain one minus the
     * excluded items that outscore the positive, so only those scores leave the native side.
     */
    public int[][] ranksBothWays(TwoTowerModel model, int[] users, int[][] histories, int[] positives,
            int[][] excluded) {
        JniUtils.setGradMode(false);
        int rows = users.length;
        int[] plain = new int[rows];
        int[] filtered = new int[rows];
        boolean[] seen = new boolean[model.numItems()];
        try (NDManager scope = model.manager().newSubManager()) {
            NDArray items = allItemVectors(model, scope);
            long cols = items.getShape().get(0);
            for (int start = 0; start < rows; start += blockSize) {
                int end = Math.min(rows, start + blockSize);
                try (NDManager blockScope = scope.newSubManager()) {
                    NDArray scores = model.userVectors(blockScope, users, histories, start, end)
                            .matMul(items.transpose());
                    NDArray posScores = positiveScores(blockScope, scores, positives, start, end);
                    int[] blockRanks = countAbove(scores, posScores);
                    float[] pos = posScores.toFloatArray();
                    // Each row's distinct excluded items other than its positive, as flat indices into scores.
                    int count = 0;
                    for (int r = start; r < end; r++) {
                        count += excluded == null || excluded[r] == null ? 0 : excluded[r].length;
                    }
                    long[] idx = new long[count];
                    int[] owner = new int[count];
                    int n = 0;
                    for (int r = start; r < end && excluded != null; r++) {
                        int[] ex = excluded[r];
                        if (ex == null) {
                            continue;
                        }
                        for (int item : ex) {
                            if (item != positives[r] && !seen[item]) {
                                seen[item] = true;
                                idx[n] = (r - start) * cols + item;
                                owner[n++] = r;
                            }
                        }
                        for (int item : ex) {
                            seen[item] = false;
                        }
                    }
                    System.arraycopy(blockRanks, 0, plain, start, blockRanks.length);
                    System.arraycopy(blockRanks, 0, filtered, start, blockRanks.length);
                    if (n > 0) {
                        float[] exScores = scores.reshape(-1).get(blockScope.create(java.util.Arrays.copyOf(idx, n)))
                                .toFloatArray();
                        for (int i = 0; i < n; i++) {
                            if (exScores[i] > pos[owner[i] - start]) {
                                filtered[owner[i]]--;
                            }
                        }
                    }
                }
            }
        }
        return new int[][] {plain, filtered};
    }

    /** Column positives[r] of each row r in [start, end) of a block's scores, as a column vector. */
    private static NDArray positiveScores(NDManager scope, NDArray scores, int[] positives, int start, int end) {
        long[] p = new long[end - start];
        for (int r = start; r < end; r++) {
            p[r - start] = positives[r];
        }
        return scores.gather(scope.create(p).expandDims(1), 1);
    }

    /** Per row, the number of scores strictly above that row's positive score: its 0-based rank. */
    private static int[] countAbove(NDArray scores, NDArray positiveScores) {
        return scores.gt(positiveScores).sum(new int[] {1}).toType(ai.djl.ndarray.types.DataType.INT32, false)
                .toIntArray();
    }

    /**
     * The block's scores with row r's items excluded[r] set to -infinity (the held-out positive itself never is),
     * in place in libtorch memory: only the excluded positions cross from Java, never the block, which is rows x
     * catalog floats (16 GB at 4096 rows and a million items: more than a Java array or ByteBuffer holds).
     */
    private static NDArray maskExcluded(
            NDManager scope, NDArray scores, int[][] excluded, int[] positives, int start, int end) {
        int count = 0;
        for (int r = start; r < end; r++) {
            count += excluded[r] == null ? 0 : excluded[r].length;
        }
        long[] flat = new long[count];
        long cols = scores.getShape().get(1);
        int n = 0;
        for (int r = start; r < end; r++) {
            if (excluded[r] == null) {
                continue;
            }
            for (int item : excluded[r]) {
                // The held-out positive itself is never masked, even if it was seen before.
                if (item != positives[r]) {
                    flat[n++] = (r - start) * cols + item;
                }
            }
        }
        if (n == 0) {
            return scores;
        }
        NDArray masked = scores.reshape(-1);
        masked.set(new NDIndex("{}", scope.create(java.util.Arrays.copyOf(flat, n))),
                scope.full(new Shape(n), Float.NEGATIVE_INFINITY));
        return masked.reshape(scores.getShape());
    }

    /** Recall@K from ranks: the fraction of rows whose positive ranks among the top K. */
    public static double recallAt(int[] ranks, int k) {
        if (ranks.length == 0) {
            return 0;
        }
        int hits = 0;
        for (int r : ranks) {
            if (r < k) {
                hits++;
            }
        }
        return (double) hits / ranks.length;
    }

    /** NDCG@K with one relevant item per row: 1 / log2(rank + 2) when it ranks in the top K. */
    public static double ndcgAt(int[] ranks, int k) {
        if (ranks.length == 0) {
            return 0;
        }
        double sum = 0;
        for (int r : ranks) {
            if (r < k) {
                sum += 1.0 / (Math.log(r + 2) / Math.log(2));
            }
        }
        return sum / ranks.length;
    }

    /** Mean reciprocal rank over the full catalog. */
    public static double mrr(int[] ranks) {
        if (ranks.length == 0) {
            return 0;
        }
        double sum = 0;
        for (int r : ranks) {
            sum += 1.0 / (r + 1);
        }
        return sum / ranks.length;
    }
}
