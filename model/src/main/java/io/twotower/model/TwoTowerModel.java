package io.twotower.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.twotower.common.SplitMix64;

/**
 * The seed's Two-Tower model: a user tower and an item tower whose L2-normalised outputs are scored by
 * cosine times a fixed logit scale.
 *
 * <p>With {@code model: history} the user tower's input is the pooled item embeddings (the item tower's
 * own table, so history and candidates live in one space) of the user's most recent items, plus the
 * user-id embedding when {@code user_id_embedding} is on. A user the model never saw, or whose history
 * changed since the last step, then still gets a meaningful vector.
 */
public final class TwoTowerModel implements AutoCloseable {
    private final NDManager manager;
    private final Tower userTower;
    private final Tower itemTower;
    private final float logitScale;
    private final HistoryPooling pooling;
    private final boolean userIdEmbedding;

    private TwoTowerModel(NDManager manager, Tower userTower, Tower itemTower, TwoTowerConfig config) {
        this.manager = manager;
        this.userTower = userTower;
        this.itemTower = itemTower;
        this.logitScale = (float) config.fixedLogitScale();
        this.pooling = config.historyTower() ? HistoryPooling.of(config) : null;
        this.userIdEmbedding = config.userIdEmbedding();
    }

    /** A new model initialised from {@code config.seed()}; the model owns {@code manager} from now on. */
    public static TwoTowerModel initialise(NDManager manager, TwoTowerConfig config, int numUsers, int numItems) {
        SplitMix64 rng = new SplitMix64(SplitMix64.mix(config.seed(), 0x70E7L));
        float dropout = (float) config.dropout();
        Tower user = Tower.initialise("user", manager, numUsers, config.dModel(), dropout, rng);
        Tower item = Tower.initialise("item", manager, numItems, config.dModel(), dropout, rng);
        return new TwoTowerModel(manager, user, item, config);
    }

    /** A model over existing parameters, user tower's 9 arrays then item tower's 9, in state_dict order. */
    public static TwoTowerModel of(NDManager manager, TwoTowerConfig config, NDList parameters) {
        return of(manager, config, parameters, false);
    }

    /**
     * As {@link #of}, for parameters read by {@link ChunkedArrays#read} (libtorch allocated them): the embedding
     * tables are adopted without the copy that {@link NativeArrays#own} makes of arrays over Java buffers, so
     * restoring a large table never holds it twice.
     */
    public static TwoTowerModel ofNative(NDManager manager, TwoTowerConfig config, NDList parameters) {
        return of(manager, config, parameters, true);
    }

    private static TwoTowerModel of(NDManager manager, TwoTowerConfig config, NDList parameters, boolean nativeTables) {
        NDArray[] user = new NDArray[9];
        NDArray[] item = new NDArray[9];
        for (int i = 0; i < 9; i++) {
            user[i] = parameters.get(i);
            item[i] = parameters.get(9 + i);
            user[i].attach(manager);
            item[i].attach(manager);
        }
        float dropout = (float) config.dropout();
        return new TwoTowerModel(manager, Tower.of("user", dropout, user, nativeTables),
                Tower.of("item", dropout, item, nativeTables), config);
    }

    /** Parameter names in {@link #parameters()} order, matching the notebook's state_dict. */
    public static String[] parameterNames() {
        String[] u = Tower.parameterNames("user");
        String[] i = Tower.parameterNames("item");
        String[] all = new String[u.length + i.length];
        System.arraycopy(u, 0, all, 0, u.length);
        System.arraycopy(i, 0, all, u.length, i.length);
        return all;
    }

    /** All trainable arrays: the user tower's then the item tower's. */
    public NDArray[] parameters() {
        NDArray[] u = userTower.parameters();
        NDArray[] i = itemTower.parameters();
        NDArray[] all = new NDArray[u.length + i.length];
        System.arraycopy(u, 0, all, 0, u.length);
        System.arraycopy(i, 0, all, u.length, i.length);
        return all;
    }

    /** Seed-mode user vectors from ids alone; see {@link #userVectors(NDManager, long[], int, int[], int[], boolean)}. */
    public NDArray userVectors(NDArray userIds, boolean training) {
        if (pooling != null) {
            throw new IllegalStateException("model: history needs each user's history for a user vector");
        }
        return userTower.forward(userIds, training);
    }

    /**
     * User vectors for {@code n} users: ids {@code users[0..n)} and, for the history tower, row i's recent
     * items in {@code historyItems[i * historyLength()...]}, oldest first, {@code historyCounts[i]} of them
     * (ignored in seed mode). Arrays are created in {@code scope}.
     */
    public NDArray userVectors(NDManager scope, long[] users, int n, int[] historyItems, int[] historyCounts,
            boolean training) {
        return userVectors(scope, users, n, historyItems, historyCounts, training, EmbeddingRows.of(userTower.table()),
                EmbeddingRows.of(itemTower.table()));
    }

    /**
     * As above, reading the user and item tables through {@code userRows} and {@code itemRows} (the tables
     * themselves, or the leaves of a sparse step).
     */
    public NDArray userVectors(NDManager scope, long[] users, int n, int[] historyItems, int[] historyCounts,
            boolean training, EmbeddingRows userRows, EmbeddingRows itemRows) {
        if (pooling == null) {
            return userTower.forwardInput(userRows.lookup(scope, users, n), training);
        }
        int length = pooling.length();
        long[] slots = new long[n * length];
        float[] weights = new float[n * length];
        pooling.fill(historyItems, historyCounts, n, slots, weights, itemRows.paddingId());
        NDArray history = itemRows.lookup(scope, slots, slots.length).reshape(new Shape(n, length, dModel()));
        NDArray input = history.mul(scope.create(weights, new Shape(n, length, 1))).sum(new int[] {1});
        if (userIdEmbedding) {
            input = input.add(userRows.lookup(scope, users, n));
        }
        return userTower.forwardInput(input, training);
    }

    /** As above, in eval mode, for rows {@code [from, to)} of per-row arrays: users[r] and histories[r] (oldest first). */
    public NDArray userVectors(NDManager scope, int[] users, int[][] histories, int from, int to) {
        int n = to - from;
        long[] ids = new long[n];
        for (int r = from; r < to; r++) {
            ids[r - from] = users[r];
        }
        if (pooling == null) {
            return userTower.forward(scope.create(ids), false);
        }
        int length = pooling.length();
        int[] items = new int[n * length];
        int[] counts = new int[n];
        for (int r = from; r < to; r++) {
            int[] h = histories == null || histories[r] == null ? new int[0] : histories[r];
            int take = Math.min(length, h.length);
            System.arraycopy(h, h.length - take, items, (r - from) * length, take);
            counts[r - from] = take;
        }
        return userVectors(scope, ids, n, items, counts, false);
    }

    /** Whether parameter i of {@link #parameters()} takes part in the forward pass (an unused one gets no gradient). */
    public boolean usesParameter(int i) {
        return i != 0 || pooling == null || userIdEmbedding;
    }

    /** The history window the user tower pools (0 in seed mode). */
    public int historyLength() {
        return pooling == null ? 0 : pooling.length();
    }

    public NDArray itemVectors(NDArray itemIds, boolean training) {
        return itemTower.forward(itemIds, training);
    }

    /** Item vectors of ids {@code ids[0..n)}, reading the item table through {@code itemRows}. */
    public NDArray itemVectors(NDManager scope, long[] ids, int n, EmbeddingRows itemRows, boolean training) {
        return itemTower.forwardInput(itemRows.lookup(scope, ids, n), training);
    }

    public float logitScale() {
        return logitScale;
    }

    public int numUsers() {
        return userTower.rows();
    }

    public int numItems() {
        return itemTower.rows();
    }

    public int dModel() {
        return userTower.dModel();
    }

    public Tower userTower() {
        return userTower;
    }

    public Tower itemTower() {
        return itemTower;
    }

    public NDManager manager() {
        return manager;
    }

    @Override
    public void close() {
        manager.close();
    }
}
