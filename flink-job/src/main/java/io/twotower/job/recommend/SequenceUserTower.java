package io.twotower.job.recommend;

import com.fasterxml.jackson.databind.JsonNode;
import io.twotower.connectors.snapshot.NpyReader;
import io.twotower.connectors.snapshot.NpzFormat;
import org.apache.flink.core.fs.Path;

import java.io.IOException;
import java.io.InputStream;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The sequence tower's user vector ({@code model: sequence}: SASRec's causal self-attention blocks over the item
 * table) in plain Java, from {@code user_tower.npz} and the manifest's {@code user_tower} settings, computed as
 * tools/golden/make_sequence_golden.py defines it and docs/snapshot-format.md ("the sequence tower") and
 * tools/snapshots/read_snapshot.py compute it. No libtorch: a serving-side check needs none.
 *
 * <p>Padded slots are masked as keys, so a history is read unpadded: its last {@code m <= history_length} items
 * in slots whose positions end at {@code history_length - 1}, a causal mask over those {@code m}, and the last
 * slot's output. An empty history is the zero vector.
 */
public final class SequenceUserTower {
    /** {@code manifest.user_tower.kind} of a sequence-tower snapshot. */
    public static final String KIND = "sequence";
    /** The arrays of block {@code b}, {@code block<b>_<name>}. */
    private static final String[] BLOCK_ARRAYS = {"attn_norm_weight", "attn_norm_bias", "attn_in_weight",
            "attn_in_bias", "attn_out_weight", "attn_out_bias", "ffn_norm_weight", "ffn_norm_bias", "ffn_in_weight",
            "ffn_in_bias", "ffn_out_weight", "ffn_out_bias"};

    private final Settings settings;
    private final int dimension;
    /** The item embedding rows of the items this tower was loaded for. */
    private final Map<Integer, float[]> itemRows;
    private final Map<String, float[]> arrays;

    private SequenceUserTower(Settings settings, int dimension, Map<Integer, float[]> itemRows,
            Map<String, float[]> arrays) {
        this.settings = settings;
        this.dimension = dimension;
        this.itemRows = itemRows;
        this.arrays = arrays;
    }

    /** Whether a manifest's {@code user_tower} is the sequence tower's (no {@code kind} is the history tower). */
    public static boolean isSequence(JsonNode spec) {
        return spec != null && KIND.equals(spec.path("kind").asText());
    }

    /** The manifest's {@code user_tower} settings this tower reads. */
    private static final class Settings {
        final int length;
        final int blocks;
        final int heads;
        final double layerNormEps;
        final double inputScale;
        final boolean normalize;

        Settings(JsonNode spec, int dimension, String manifest) throws IOException {
            length = positive(spec, "history_length", manifest);
            blocks = positive(spec, "blocks", manifest);
            heads = positive(spec, "heads", manifest);
            if (dimension % heads != 0) {
                throw new IOException(manifest + ": user_tower.heads " + heads + " does not divide the dimension "
                        + dimension);
            }
            layerNormEps = number(spec, "layer_norm_eps", manifest);
            inputScale = number(spec, "input_scale", manifest);
            JsonNode normalize = spec.get("normalize_user_vector");
            if (normalize == null || !normalize.isBoolean()) {
                throw new IOException(manifest + ": user_tower.normalize_user_vector must be true or false, got "
                        + normalize);
            }
            this.normalize = normalize.asBoolean();
        }

        private static int positive(JsonNode spec, String field, String manifest) throws IOException {
            JsonNode value = spec.get(field);
            if (value == null || !value.canConvertToInt() || !value.isIntegralNumber() || value.asInt() < 1) {
                throw new IOException(manifest + ": user_tower." + field + " must be a positive integer, got " + value);
            }
            return value.asInt();
        }

        private static double number(JsonNode spec, String field, String manifest) throws IOException {
            JsonNode value = spec.get(field);
            if (value == null || !value.isNumber()) {
                throw new IOException(manifest + ": user_tower." + field + " must be a number, got " + value);
            }
            return value.asDouble();
        }
    }

    /**
     * Loads the layers and, of the item embedding table (as large as the catalog), only the rows of the last
     * {@code history_length} items of {@code items}.
     */
    public static SequenceUserTower load(RecommendSnapshot snapshot, int[] items) throws IOException {
        JsonNode spec = snapshot.userTower();
        int d = snapshot.dimension();
        Settings settings = new Settings(spec, d, snapshot.file("manifest.json").toString());
        Path path = snapshot.file(spec.path("file").asText("user_tower.npz"));
        TreeSet<Integer> wanted = new TreeSet<>();
        for (int i = Math.max(0, items.length - settings.length); i < items.length; i++) {
            wanted.add(items[i]);
        }
        Map<String, int[]> shapes = expectedShapes(settings, snapshot.numItems(), d);
        Map<Integer, float[]> rows = new HashMap<>();
        Map<String, float[]> arrays = new HashMap<>();
        Set<String> seen = new HashSet<>();
        try (InputStream in = UserVectors.openBuffered(path)) {
            NpzFormat.read(in, path.toString(), (name, array) -> {
                int[] shape = shapes.get(name);
                if (shape == null) {
                    return;  // an array this reader does not need; readers ignore what they do not know
                }
                array.requireShape(shape);
                seen.add(name);
                if (name.equals("item_embedding")) {
                    readRows(array, wanted, rows);
                } else {
                    arrays.put(name, array.readAll());
                }
            });
        }
        for (String name : shapes.keySet()) {
            if (!seen.contains(name)) {
                throw new IOException(path + ": has no array '" + name + "' (the manifest's user_tower has "
                        + settings.blocks + " blocks)");
            }
        }
        return new SequenceUserTower(settings, d, rows, arrays);
    }

    /** Every array the tower reads, with its shape, in the order docs/snapshot-format.md lists them. */
    private static Map<String, int[]> expectedShapes(Settings settings, int numItems, int d) {
        Map<String, int[]> shapes = new LinkedHashMap<>();
        shapes.put("item_embedding", new int[] {numItems, d});
        shapes.put("position_embedding", new int[] {settings.length, d});
        for (int b = 0; b < settings.blocks; b++) {
            for (String name : BLOCK_ARRAYS) {
                int[] shape;
                if (name.equals("attn_in_weight")) {
                    shape = new int[] {3 * d, d};
                } else if (name.equals("attn_in_bias")) {
                    shape = new int[] {3 * d};
                } else if (name.endsWith("_weight") && !name.contains("norm")) {
                    shape = new int[] {d, d};
                } else {
                    shape = new int[] {d};
                }
                shapes.put("block" + b + "_" + name, shape);
            }
        }
        shapes.put("last_norm_weight", new int[] {d});
        shapes.put("last_norm_bias", new int[] {d});
        return shapes;
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

    /**
     * The user vector of a history (item indices, oldest first; only the last {@code history_length} count),
     * L2-normalised when the manifest says {@code normalize_user_vector}; the zero vector for no items.
     */
    public float[] userVector(int[] history) {
        int d = dimension;
        int length = settings.length;
        int m = Math.min(length, history.length);
        if (m == 0) {
            return new float[d];
        }
        float[] positions = arrays.get("position_embedding");
        double[][] x = new double[m][d];
        for (int j = 0; j < m; j++) {
            float[] row = itemRows.get(history[history.length - m + j]);
            // The latest item is always at position length - 1, however short the history.
            int position = (length - m + j) * d;
            for (int c = 0; c < d; c++) {
                x[j][c] = row[c] * settings.inputScale + positions[position + c];
            }
        }
        for (int b = 0; b < settings.blocks; b++) {
            x = block(x, "block" + b + "_");
        }
        double[] u = x[m - 1];
        DenseLayers.layerNorm(u, arrays.get("last_norm_weight"), arrays.get("last_norm_bias"), settings.layerNormEps);
        double norm = 1;
        if (settings.normalize) {
            double sum = 0;
            for (double v : u) {
                sum += v * v;
            }
            // F.normalize's epsilon, as the trainer.
            norm = Math.max(Math.sqrt(sum), 1e-12);
        }
        float[] out = new float[d];
        for (int c = 0; c < d; c++) {
            out[c] = (float) (u[c] / norm);
        }
        return out;
    }

    /**
     * One block: q = LayerNorm(x); x = LayerNorm(q + attention(q, x, x)) with slot i attending to slots j <= i;
     * x + W_out relu(W_in x + b_in) + b_out.
     */
    private double[][] block(double[][] x, String prefix) {
        int d = dimension;
        int m = x.length;
        int heads = settings.heads;
        int headDim = d / heads;
        float[] in = arrays.get(prefix + "attn_in_weight");
        float[] inBias = arrays.get(prefix + "attn_in_bias");
        double[][] q = new double[m][];
        double[][] query = new double[m][];
        double[][] key = new double[m][];
        double[][] value = new double[m][];
        for (int j = 0; j < m; j++) {
            q[j] = x[j].clone();
            DenseLayers.layerNorm(q[j], arrays.get(prefix + "attn_norm_weight"), arrays.get(prefix + "attn_norm_bias"),
                    settings.layerNormEps);
            // in_proj_weight's rows: [0, d) query, [d, 2d) key, [2d, 3d) value; the keys and values read x, not q.
            query[j] = DenseLayers.linear(q[j], in, inBias, 0);
            key[j] = DenseLayers.linear(x[j], in, inBias, d);
            value[j] = DenseLayers.linear(x[j], in, inBias, 2 * d);
        }
        double scale = 1.0 / Math.sqrt(headDim);
        double[][] next = new double[m][];
        double[] weights = new double[m];
        for (int i = 0; i < m; i++) {
            double[] attended = new double[d];
            for (int h = 0; h < heads; h++) {
                int from = h * headDim;
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j <= i; j++) {
                    double s = 0;
                    for (int c = from; c < from + headDim; c++) {
                        s += query[i][c] * key[j][c];
                    }
                    weights[j] = s * scale;
                    max = Math.max(max, weights[j]);
                }
                double total = 0;
                for (int j = 0; j <= i; j++) {
                    weights[j] = Math.exp(weights[j] - max);
                    total += weights[j];
                }
                for (int j = 0; j <= i; j++) {
                    double p = weights[j] / total;
                    for (int c = from; c < from + headDim; c++) {
                        attended[c] += p * value[j][c];
                    }
                }
            }
            double[] a = DenseLayers.linear(attended, arrays.get(prefix + "attn_out_weight"),
                    arrays.get(prefix + "attn_out_bias"), 0);
            double[] y = new double[d];
            for (int c = 0; c < d; c++) {
                y[c] = q[i][c] + a[c];
            }
            DenseLayers.layerNorm(y, arrays.get(prefix + "ffn_norm_weight"), arrays.get(prefix + "ffn_norm_bias"),
                    settings.layerNormEps);
            double[] hidden = DenseLayers.linear(y, arrays.get(prefix + "ffn_in_weight"),
                    arrays.get(prefix + "ffn_in_bias"), 0);
            for (int c = 0; c < d; c++) {
                hidden[c] = Math.max(hidden[c], 0);
            }
            double[] f = DenseLayers.linear(hidden, arrays.get(prefix + "ffn_out_weight"),
                    arrays.get(prefix + "ffn_out_bias"), 0);
            for (int c = 0; c < d; c++) {
                y[c] += f[c];
            }
            next[i] = y;
        }
        return next;
    }
}
