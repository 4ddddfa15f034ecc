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
    /** The sequence tower's encoder (model: sequence), else null. */
    private final SequenceEncoder encoder;
    /** Whether item vectors go through the item tower's MLP (else they are its embedding rows: model: sequence). */
    private final boolean itemMlp;

    private TwoTowerModel(NDManager manager, Tower userTower, Tower itemTower, SequenceEncoder encoder,
            TwoTowerConfig config) {
        this.manager = manager;
        this.userTower = userTower;
        this.itemTower = itemTower;
        this.encoder = encoder;
        this.itemMlp = config.itemTowerMlp();
        this.logitScale = itemMlp ? (float) config.fixedLogitScale() : 1f;
        this.pooling = config.historyTower() ? HistoryPooling.of(config) : null;
        this.userIdEmbedding = config.userIdEmbedding();
    }

    /** A new model initialised from {@code config.seed()}; the model owns {@code manager} from now on. */
    public static TwoTowerModel initialise(NDManager manager, TwoTowerConfig config, int numUsers, int numItems) {
        SplitMix64 rng = new SplitMix64(SplitMix64.mix(config.seed(), 0x70E7L));
        float dropout = (float) config.dropout();
        Tower user = Tower.initialise("user", manager, numUsers, config.dModel(), dropout, rng);
        if (!config.sequenceTower()) {
            Tower item = Tower.initialise("item", manager, numItems, config.dModel(), dropout, rng);
            return new TwoTowerModel(manager, user, item, null, config);
        }
        // SASRec's init: a Xavier-normal item table (std sqrt(2 / (N + d))), kept for rows a vocabulary adds later.
        double std = SequenceEncoder.xavierStd(numItems, config.dModel());
        Tower item = Tower.initialise("item", manager, numItems, config.dModel(), dropout, rng, std);
        return new TwoTowerModel(manager, user, item, SequenceEncoder.initialise(manager, config, rng), config);
    }

    /**
     * A model over existing parameters in state_dict order: the user tower's 9 arrays, the item tower's 9 and, with
     * model: sequence, the encoder's ({@link #parameterNames(TwoTowerConfig)}).
     */
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
        int expected = parameterNames(config).length;
        if (parameters.size() != expected) {
            throw new IllegalArgumentException("model: " + config.model() + " with " + config.sequenceBlocks()
                    + " sequence blocks has " + expected + " parameter arrays, got " + parameters.size());
        }
        for (NDArray p : parameters) {
            p.attach(manager);
        }
        NDArray[] user = new NDArray[9];
        NDArray[] item = new NDArray[9];
        for (int i = 0; i < 9; i++) {
            user[i] = parameters.get(i);
            item[i] = parameters.get(9 + i);
        }
        float dropout = (float) config.dropout();
        SequenceEncoder encoder = null;
        if (config.sequenceTower()) {
            NDArray[] arrays = new NDArray[expected - 18];
            for (int i = 0; i < arrays.length; i++) {
                arrays[i] = parameters.get(18 + i);
            }
            encoder = SequenceEncoder.of(config, arrays);
        }
        double std = config.sequenceTower() ? SequenceEncoder.xavierStd(item[0].getShape().get(0), config.dModel())
                : Tower.EMBEDDING_STD;
        return new TwoTowerModel(manager, Tower.of("user", dropout, user, nativeTables),
                Tower.of("item", dropout, item, nativeTables, std), encoder, config);
    }

    /** Parameter names of the seed and history models in {@link #parameters()} order, the notebook's state_dict. */
    public static String[] parameterNames() {
        String[] u = Tower.parameterNames("user");
        String[] i = Tower.parameterNames("item");
        String[] all = new String[u.length + i.length];
        System.arraycopy(u, 0, all, 0, u.length);
        System.arraycopy(i, 0, all, u.length, i.length);
        return all;
    }

    /** Parameter names of a model of {@code config} in {@link #parameters()} order (the encoder's last). */
    public static String[] parameterNames(TwoTowerConfig config) {
        String[] towers = parameterNames();
        if (!config.sequenceTower()) {
            return towers;
        }
        String[] encoder = SequenceEncoder.parameterNames(config.sequenceBlocks());
        String[] all = new String[towers.length + encoder.length];
        System.arraycopy(towers, 0, all, 0, towers.length);
        System.arraycopy(encoder, 0, all, towers.length, encoder.length);
        return all;
    }

    /** This model's parameter names, in {@link #parameters()} order. */
    public String[] names() {
        String[] towers = parameterNames();
        if (encoder == null) {
            return towers;
        }
        String[] e = SequenceEncoder.parameterNames(encoder.blocks());
        String[] all = java.util.Arrays.copyOf(towers, towers.length + e.length);
        System.arraycopy(e, 0, all, towers.length, e.length);
        return all;
    }

    /** All trainable arrays: the user tower's, the item tower's, then (model: sequence) the encoder's. */
    public NDArray[] parameters() {
        NDArray[] u = userTower.parameters();
        NDArray[] i = itemTower.parameters();
        NDArray[] e = encoder == null ? new NDArray[0] : encoder.parameters();
        NDArray[] all = new NDArray[u.length + i.length + e.length];
        System.arraycopy(u, 0, all, 0, u.length);
        System.arraycopy(i, 0, all, u.length, i.length);
        System.arraycopy(e, 0, all, u.length + i.length, e.length);
        return all;
    }

    /** Seed-mode user vectors from ids alone; see {@link #userVectors(NDManager, long[], int, int[], int[], boolean)}. */
    public NDArray userVectors(NDArray userIds, boolean training) {
        if (pooling != null || encoder != null) {
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
        if (encoder != null) {
            return sequenceUserVectors(SequenceEncoder.lastSlot(
                    sequenceOutputs(scope, n, historyItems, historyCounts, training, itemRows)));
        }
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

    /**
     * The sequence tower's output at every slot, (n, history_length, d): row i's history is
     * {@code historyItems[i * historyLength() ...]}, oldest first, {@code historyCounts[i]} items, left-padded.
     */
    public NDArray sequenceOutputs(NDManager scope, int n, int[] historyItems, int[] historyCounts, boolean training,
            EmbeddingRows itemRows) {
        int length = encoder.maxLength();
        long[] slots = new long[n * length];
        boolean[] valid = new boolean[n * length];
        long padding = itemRows.paddingId();
        for (int i = 0; i < n; i++) {
            int count = Math.min(historyCounts[i], length);
            int pad = length - count;
            for (int j = 0; j < length; j++) {
                valid[i * length + j] = j >= pad;
                slots[i * length + j] = j >= pad ? historyItems[i * length + j - pad] : padding;
            }
        }
        NDArray embedded = itemRows.lookup(scope, slots, slots.length).reshape(new Shape(n, length, dModel()));
        return encoder.forward(scope, embedded, valid, n, training);
    }

    /** Encoder outputs as user vectors: as they are (dot-product scores), or L2-normalised when items go through the MLP. */
    public NDArray sequenceUserVectors(NDArray outputs) {
        return itemMlp ? Tower.l2Normalise(outputs) : outputs;
    }

    /** As above, in eval mode, for rows {@code [from, to)} of per-row arrays: users[r] and histories[r] (oldest first). */
    public NDArray userVectors(NDManager scope, int[] users, int[][] histories, int from, int to) {
        int n = to - from;
        long[] ids = new long[n];
        for (int r = from; r < to; r++) {
            ids[r - from] = users[r];
        }
        if (pooling == null && encoder == null) {
            return userTower.forward(scope.create(ids), false);
        }
        int length = historyLength();
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

    /**
     * Whether parameter i of {@link #parameters()} takes part in the forward pass (an unused one gets no gradient):
     * with model: sequence the user tower is unused (its vector comes from the encoder) and, without the item MLP,
     * the item tower's layers.
     */
    public boolean usesParameter(int i) {
        int towerArrays = userTower.parameters().length;
        if (encoder != null) {
            return i >= towerArrays && (itemMlp || i == towerArrays || i >= 2 * towerArrays);
        }
        return i != 0 || pooling == null || userIdEmbedding;
    }

    /** The history window the user tower reads: pooled (history) or encoded (sequence); 0 in seed mode. */
    public int historyLength() {
        return encoder != null ? encoder.maxLength() : pooling == null ? 0 : pooling.length();
    }

    /** The sequence tower's encoder, or null. */
    public SequenceEncoder encoder() {
        return encoder;
    }

    /** Whether item vectors are the item tower's MLP outputs (cosine scores), not its embedding rows (dot products). */
    public boolean itemTowerMlp() {
        return itemMlp;
    }

    public NDArray itemVectors(NDArray itemIds, boolean training) {
        return itemMlp ? itemTower.forward(itemIds, training) : itemTower.embed(itemIds);
    }

    /** Item vectors of ids {@code ids[0..n)}, reading the item table through {@code itemRows}. */
    public NDArray itemVectors(NDManager scope, long[] ids, int n, EmbeddingRows itemRows, boolean training) {
        NDArray rows = itemRows.lookup(scope, ids, n);
        return itemMlp ? itemTower.forwardInput(rows, training) : rows;
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
