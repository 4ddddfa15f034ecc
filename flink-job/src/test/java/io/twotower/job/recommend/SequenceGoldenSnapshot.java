package io.twotower.job.recommend;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.twotower.connectors.dataset.DatasetLayout;
import io.twotower.connectors.dataset.IdMapFile;
import io.twotower.connectors.snapshot.NpyFormat;
import io.twotower.connectors.snapshot.NpzFormat;
import io.twotower.connectors.snapshot.SnapshotStore;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.stream.IntStream;

/**
 * A sequence-tower snapshot built from PyTorch's golden values (model/src/test/resources/golden/sequence_golden.json,
 * written by tools/golden/make_sequence_golden.py): its initial parameters renamed from state_dict names to
 * user_tower.npz's, and published with {@link SnapshotStore} as a job publishes, so readers load a real folder.
 */
public final class SequenceGoldenSnapshot {
    public static final Path GOLDEN = Paths.get("..", "model", "src", "test", "resources", "golden",
            "sequence_golden.json");
    /** user_tower.npz's name of each block array, and the state_dict name it is (after encoder.blocks.b.). */
    private static final String[][] BLOCK_NAMES = {
            {"attn_norm_weight", "attn_norm.weight"}, {"attn_norm_bias", "attn_norm.bias"},
            {"attn_in_weight", "attn.in_proj_weight"}, {"attn_in_bias", "attn.in_proj_bias"},
            {"attn_out_weight", "attn.out_proj.weight"}, {"attn_out_bias", "attn.out_proj.bias"},
            {"ffn_norm_weight", "ffn_norm.weight"}, {"ffn_norm_bias", "ffn_norm.bias"},
            {"ffn_in_weight", "ffn_in.weight"}, {"ffn_in_bias", "ffn_in.bias"},
            {"ffn_out_weight", "ffn_out.weight"}, {"ffn_out_bias", "ffn_out.bias"}};

    public final JsonNode golden;
    public final int items;
    public final int dimension;
    public final int length;
    public final int blocks;
    public final int heads;

    private SequenceGoldenSnapshot(JsonNode golden) {
        this.golden = golden;
        JsonNode config = golden.get("config");
        items = config.get("n_items").asInt();
        dimension = config.get("d_model").asInt();
        length = config.get("max_length").asInt();
        blocks = config.get("blocks").asInt();
        heads = config.get("heads").asInt();
    }

    public static SequenceGoldenSnapshot read() throws IOException {
        return new SequenceGoldenSnapshot(new ObjectMapper().readTree(GOLDEN.toFile()));
    }

    /** The first batch's histories (dense item indices, oldest first): one as long as history_length, two shorter. */
    public int[][] histories() {
        JsonNode rows = golden.get("batches").get(0).get("histories");
        int[][] out = new int[rows.size()][];
        for (int r = 0; r < out.length; r++) {
            JsonNode row = rows.get(r);
            out[r] = IntStream.range(0, row.size()).map(i -> row.get(i).asInt()).toArray();
        }
        return out;
    }

    /** PyTorch's user vectors of {@link #histories()} (eval mode, the last slot's output, not normalised). */
    public float[][] userVectors() {
        JsonNode rows = golden.get("first_batch").get("user_vectors");
        float[][] out = new float[rows.size()][];
        for (int r = 0; r < out.length; r++) {
            out[r] = floats(rows.get(r));
        }
        return out;
    }

    /** An initial parameter by its state_dict name, flattened row-major. */
    public float[] parameter(String stateDictName) {
        JsonNode value = golden.get("initial_params").get(stateDictName);
        if (value == null) {
            throw new IllegalArgumentException("no parameter " + stateDictName + " in " + GOLDEN);
        }
        return floats(value);
    }

    private static float[] floats(JsonNode nested) {
        List<Float> values = new ArrayList<>();
        flatten(nested, values);
        float[] out = new float[values.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = values.get(i);
        }
        return out;
    }

    private static void flatten(JsonNode node, List<Float> into) {
        if (node.isArray()) {
            node.forEach(n -> flatten(n, into));
        } else {
            into.add(node.floatValue());
        }
    }

    /** user_tower.npz's arrays (name to .npy bytes), in the order docs/snapshot-format.md lists them. */
    public Map<String, byte[]> towerArrays() {
        int d = dimension;
        Map<String, byte[]> arrays = new LinkedHashMap<>();
        arrays.put("item_embedding", NpyFormat.encode(parameter("item_emb.weight"), items, d));
        arrays.put("position_embedding", npy("encoder.position.weight"));
        for (int b = 0; b < blocks; b++) {
            for (String[] names : BLOCK_NAMES) {
                arrays.put("block" + b + "_" + names[0], npy("encoder.blocks." + b + "." + names[1]));
            }
        }
        arrays.put("last_norm_weight", npy("encoder.last_norm.weight"));
        arrays.put("last_norm_bias", npy("encoder.last_norm.bias"));
        return arrays;
    }

    /** A parameter as .npy bytes of its state_dict shape: 1-D, or 2-D (out, in). */
    private byte[] npy(String stateDictName) {
        float[] values = parameter(stateDictName);
        JsonNode value = golden.get("initial_params").get(stateDictName);
        return value.get(0).isArray() ? NpyFormat.encode(values, value.size(), value.get(0).size())
                : NpyFormat.encodeVector(values);
    }

    /** The manifest's user_tower object, as the job writes it for this model. */
    public ObjectNode towerSpec(boolean normalize) {
        ObjectNode spec = new ObjectMapper().createObjectNode();
        spec.put("file", "user_tower.npz").put("kind", "sequence").put("input", "history")
                .put("history_length", length).put("blocks", blocks).put("heads", heads)
                .put("layer_norm_eps", golden.get("config").get("layer_norm_eps").asDouble())
                .put("input_scale", Math.sqrt(dimension)).put("normalize_user_vector", normalize)
                .put("item_vectors", "embedding").put("user_vectors_from", "validation histories");
        return spec;
    }

    /** Raw item id of dense index i: "item-i". */
    public static String itemId(int index) {
        return "item-" + index;
    }

    /**
     * Publishes snapshot 1 of run "golden" under {@code out} with {@code users} as user_embeddings.npy, the item
     * table as item_embeddings.npy ({@code item_vectors: embedding}), the golden tower and id maps; {@code arrays}
     * and {@code spec} may alter the tower's files first (to test errors). Returns the snapshot folder.
     */
    public Path publish(Path out, boolean normalize, float[][] users,
            UnaryOperator<Map<String, byte[]>> arrays, UnaryOperator<ObjectNode> spec) throws IOException {
        int d = dimension;
        float[] userRows = new float[users.length * d];
        for (int u = 0; u < users.length; u++) {
            System.arraycopy(users[u], 0, userRows, u * d, d);
        }
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("user_embeddings.npy", NpyFormat.encode(userRows, users.length, d));
        files.put("item_embeddings.npy", NpyFormat.encode(parameter("item_emb.weight"), items, d));
        files.put("user_tower.npz", NpzFormat.encode(arrays.apply(towerArrays())));
        Path maps = Files.createDirectories(out.resolve("id-maps"));
        files.put(DatasetLayout.USER_MAP, idMap(maps.resolve(DatasetLayout.USER_MAP), DatasetLayout.USER_ID_COLUMN,
                DatasetLayout.USER_IDX_COLUMN, IntStream.range(0, users.length).mapToObj(u -> "user-" + u).toList()));
        files.put(DatasetLayout.ITEM_MAP, idMap(maps.resolve(DatasetLayout.ITEM_MAP), DatasetLayout.ITEM_ID_COLUMN,
                DatasetLayout.ITEM_IDX_COLUMN, IntStream.range(0, items).mapToObj(SequenceGoldenSnapshot::itemId)
                        .toList()));
        ObjectNode fields = new ObjectMapper().createObjectNode();
        fields.put("created_at", "2026-01-01T00:00:00Z").put("source", "train").put("epoch", 1)
                .put("num_users", users.length).put("num_items", items).put("dimension", d).put("dtype", "float32");
        fields.set("user_tower", spec.apply(towerSpec(normalize)));
        SnapshotStore store = new SnapshotStore(new org.apache.flink.core.fs.Path(out.toUri()), "golden");
        org.apache.flink.core.fs.Path folder = store.publish(1, files, fields, true, 0);
        return Paths.get(folder.toUri());
    }

    private static byte[] idMap(Path file, String idColumn, String indexColumn, List<String> ids) throws IOException {
        IdMapFile.write(new org.apache.flink.core.fs.Path(file.toUri()), idColumn, indexColumn, ids);
        return Files.readAllBytes(file);
    }
}
