package io.twotower.job.recommend;

import com.fasterxml.jackson.databind.JsonNode;
import io.twotower.connectors.snapshot.NpyReader;
import io.twotower.connectors.snapshot.NpzFormat;
import io.twotower.model.HistoryPooling;
import io.twotower.model.TwoTowerConfig;
import org.apache.flink.core.fs.Path;

import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeSet;

/**
 * The history tower's user vector in plain Java, from {@code user_tower.npz} and the snapshot manifest's
 * {@code user_tower} settings, computed as docs/snapshot-format.md ("User vectors from a history") and
 * tools/snapshots/read_snapshot.py do: pooled item embeddings of the last {@code history_length} items,
 * twice Linear, LayerNorm, ReLU, then L2 normalisation. No libtorch: a serving-side check needs none.
 */
public final class HistoryUserTower {
    private static final String[] LAYER_ARRAYS = {"linear0_weight", "linear0_bias", "norm0_weight", "norm0_bias",
            "linear1_weight", "linear1_bias", "norm1_weight", "norm1_bias"};

    private final HistoryPooling pooling;
    private final double layerNormEps;
    private final int dimension;
    /** The item tower's embedding rows of the items this tower was loaded for. */
    private final Map<Integer, float[]> itemRows;
    private final Map<String, float[]> layers;

    private HistoryUserTower(HistoryPooling pooling, double layerNormEps, int dimension, Map<Integer, float[]> itemRows,
            Map<String, float[]> layers) {
        this.pooling = pooling;
        this.layerNormEps = layerNormEps;
        this.dimension = dimension;
        this.itemRows = itemRows;
        this.layers = layers;
    }

    /** Whether the tower also adds a user-id embedding to the pooled history ({@code input: history+user_id}). */
    public static boolean readsUserIds(JsonNode spec) {
        return spec.path("input").asText().contains("user_id");
    }

    /**
     * Loads the layers and, of the item embedding table, only the rows a history of {@code items} pools (its
     * last {@code history_length}): the table is as large as the catalog.
     */
    public static HistoryUserTower load(RecommendSnapshot snapshot, int[] items) throws IOException {
        JsonNode spec = snapshot.userTower();
        Path path = snapshot.file(spec.path("file").asText("user_tower.npz"));
        HistoryPooling pooling = pooling(spec, snapshot.folder());
        int d = snapshot.dimension();
        TreeSet<Integer> wanted = new TreeSet<>();
        for (int i = Math.max(0, items.length - pooling.length()); i < items.length; i++) {
            wanted.add(items[i]);
        }
        Map<Integer, float[]> rows = new HashMap<>();
        Map<String, float[]> layers = new HashMap<>();
        boolean[] sawTable = {false};
        try (InputStream in = UserVectors.openBuffered(path)) {
            NpzFormat.read(in, path.toString(), (name, array) -> {
                if (name.equals("item_embedding")) {
                    array.requireShape(snapshot.numItems(), d);
                    readRows(array, wanted, rows);
                    sawTable[0] = true;
                } else if (name.startsWith("linear") && name.endsWith("_weight")) {
                    layers.put(name, array.requireShape(d, d).readAll());
                } else if (name.startsWith("linear") || name.startsWith("norm")) {
                    layers.put(name, array.requireShape(d).readAll());
                }
            });
        }
        for (String name : LAYER_ARRAYS) {
            if (!layers.containsKey(name)) {
                throw new IOException(path + ": has no array '" + name + "'");
            }
        }
        if (!sawTable[0]) {
            throw new IOException(path + ": has no array 'item_embedding'");
        }
        double eps = spec.path("layer_norm_eps").asDouble(1e-5);
        return new HistoryUserTower(pooling, eps, d, rows, layers);
    }

    private static void readRows(NpyReader array, TreeSet<Integer> wanted, Map<Integer, float[]> rows)
            throws IOException {
        int at = 0;
        for (int item : wanted) {
            array.skipRows(item - at);
            float[] row = new float[array.cols()];
            array.readRow(row);
            rows.put(item, row);
            at = item + 1;
        }
    }

    private static HistoryPooling pooling(JsonNode spec, Path folder) throws IOException {
        // The trainer's own weighting code, configured from the manifest, so both round the weights alike.
        try {
            return HistoryPooling.of(TwoTowerConfig.defaults().withValues(Map.of(
                    "model", "history",
                    "history_length", spec.path("history_length").asInt(),
                    "history_pooling", spec.path("pooling").asText(),
                    "recency_decay", spec.path("recency_decay").asDouble()), "manifest.json"));
        } catch (IllegalArgumentException e) {
            throw new IOException(folder + "/manifest.json: user_tower: " + e.getMessage(), e);
        }
    }

    /** The L2-normalised user vector of a history (item indices, oldest first; only the last window counts). */
    public float[] userVector(int[] history) {
        int length = pooling.length();
        int take = Math.min(length, history.length);
        int[] window = Arrays.copyOfRange(history, history.length - take, history.length);
        long[] slots = new long[length];
        float[] weights = new float[length];
        pooling.fill(Arrays.copyOf(window, length), new int[] {take}, 1, slots, weights);
        int d = dimension;
        double[] x = new double[d];
        for (int j = 0; j < take; j++) {
            float[] row = itemRows.get(window[j]);
            for (int c = 0; c < d; c++) {
                x[c] += (double) row[c] * weights[j];
            }
        }
        for (int layer = 0; layer < 2; layer++) {
            x = DenseLayers.linear(x, layers.get("linear" + layer + "_weight"), layers.get("linear" + layer + "_bias"),
                    0);
            DenseLayers.layerNorm(x, layers.get("norm" + layer + "_weight"), layers.get("norm" + layer + "_bias"),
                    layerNormEps);
            for (int c = 0; c < d; c++) {
                x[c] = Math.max(x[c], 0);
            }
        }
        double norm = 0;
        for (double v : x) {
            norm += v * v;
        }
        // F.normalize's epsilon, as the tower.
        norm = Math.max(Math.sqrt(norm), 1e-12);
        float[] out = new float[d];
        for (int c = 0; c < d; c++) {
            out[c] = (float) (x[c] / norm);
        }
        return out;
    }
}
