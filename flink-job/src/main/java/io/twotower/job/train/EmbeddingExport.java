package io.twotower.job.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import io.twotower.connectors.snapshot.NpyFormat;
import io.twotower.connectors.snapshot.NpzFormat;
import io.twotower.connectors.snapshot.SnapshotStore;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.twotower.model.ChunkedArrays;
import io.twotower.model.RetrievalEvaluator;
import io.twotower.model.SequenceEncoder;
import io.twotower.model.TwoTowerConfig;
import io.twotower.model.TwoTowerModel;

import java.io.IOException;
import java.io.OutputStream;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The files of an embedding snapshot: every user's and item's vector (eval mode) and the weights. With
 * the history tower, also {@code user_tower.npz}: what a reader needs to compute a user vector from any
 * history (docs/snapshot-format.md shows the numpy code), e.g. for a user who arrived after the snapshot.
 * Every file streams: matrices go out in bounded row chunks, so the heap never holds a table.
 */
public final class EmbeddingExport {
    public static final String USER_EMBEDDINGS = "user_embeddings.npy";
    public static final String ITEM_EMBEDDINGS = "item_embeddings.npy";
    public static final String USER_TOWER = "user_tower.npz";

    private EmbeddingExport() {}

    /** The manifest fields every snapshot of a model has; callers add epoch or window and metrics. */
    public static ObjectNode manifestFields(TwoTowerModel model, TwoTowerConfig config, String source, long step) {
        ObjectNode fields = JsonNodeFactory.instance.objectNode();
        fields.put("created_at", Instant.now().toString());
        fields.put("source", source);
        fields.put("step", step);
        fields.put("num_users", model.numUsers());
        fields.put("num_items", model.numItems());
        fields.put("dimension", model.dModel());
        fields.put("dtype", "float32");
        fields.putPOJO("config", config.asMap());
        if (config.sequenceTower()) {
            ObjectNode tower = fields.putObject("user_tower");
            tower.put("file", USER_TOWER);
            tower.put("kind", "sequence");
            tower.put("input", "history");
            tower.put("history_length", config.historyLength());
            tower.put("blocks", config.sequenceBlocks());
            tower.put("heads", config.sequenceHeads());
            tower.put("layer_norm_eps", (double) SequenceEncoder.LAYER_NORM_EPS);
            tower.put("input_scale", Math.sqrt(config.dModel()));
            tower.put("normalize_user_vector", config.itemTowerMlp());
            tower.put("item_vectors", config.itemTowerMlp() ? "tower" : "embedding");
            tower.put("user_vectors_from", "each user's latest history known to the trainer");
        } else if (config.historyTower()) {
            ObjectNode tower = fields.putObject("user_tower");
            tower.put("file", USER_TOWER);
            tower.put("input", config.userIdEmbedding() ? "history+user_id" : "history");
            tower.put("history_length", config.historyLength());
            tower.put("pooling", config.recencyPooling() ? "recency" : "mean");
            tower.put("recency_decay", config.recencyDecay());
            tower.put("layer_norm_eps", 1e-5);
            tower.put("user_vectors_from", "each user's latest history known to the trainer");
        }
        return fields;
    }

    /**
     * The snapshot's files, each written as it streams into the store; {@code histories[u]} is user u's latest
     * history (oldest first) for the history tower's user vectors, null in seed mode.
     */
    public static Map<String, SnapshotStore.FileWriter> files(TwoTowerModel model, RetrievalEvaluator evaluator,
            int[][] histories) {
        return files(model, evaluator, histories, ChunkedArrays.DEFAULT_CHUNK_BYTES);
    }

    /** As above, the weights and matrices passing through the heap {@code chunkBytes} at a time (tests: tiny). */
    static Map<String, SnapshotStore.FileWriter> files(TwoTowerModel model, RetrievalEvaluator evaluator,
            int[][] histories, int chunkBytes) {
        Map<String, SnapshotStore.FileWriter> files = new LinkedHashMap<>();
        // The vectors in the evaluator's blocks, each written and freed before the next is computed.
        files.put(USER_EMBEDDINGS, out -> {
            out.write(NpyFormat.header(model.numUsers(), model.dModel()));
            try (NDManager scope = model.manager().newSubManager()) {
                evaluator.forEachUserBlock(model, histories, scope, (start, rows) -> writeRows(out, rows, chunkBytes));
            }
        });
        files.put(ITEM_EMBEDDINGS, out -> {
            out.write(NpyFormat.header(model.numItems(), model.dModel()));
            try (NDManager scope = model.manager().newSubManager()) {
                evaluator.forEachItemBlock(model, scope, (start, rows) -> writeRows(out, rows, chunkBytes));
            }
        });
        // The weights, in TwoTowerModel.names() order, for warm starts and final_recall.
        files.put(SnapshotParameters.FILE, out -> SnapshotParameters.write(model, out, chunkBytes));
        if (model.encoder() != null) {
            files.put(USER_TOWER, out -> NpzFormat.write(out, sequenceTower(model, chunkBytes)));
        } else if (model.historyLength() > 0) {
            files.put(USER_TOWER, out -> NpzFormat.write(out, userTower(model, chunkBytes)));
        }
        return files;
    }

    /**
     * The sequence tower's weights by name (docs/snapshot-format.md): item_embedding, position_embedding, per block
     * {@code block<b>_attn_norm_weight} ... {@code block<b>_ffn_out_bias}, then last_norm_weight and last_norm_bias.
     */
    private static Map<String, NpzFormat.EntryWriter> sequenceTower(TwoTowerModel model, int chunkBytes) {
        Map<String, NpzFormat.EntryWriter> arrays = new LinkedHashMap<>();
        arrays.put("item_embedding", matrix(model.itemTower().table(), chunkBytes));
        NDArray[] e = model.encoder().parameters();
        arrays.put("position_embedding", matrix(e[0], chunkBytes));
        String[] parts = {"attn_norm_weight", "attn_norm_bias", "attn_in_weight", "attn_in_bias", "attn_out_weight",
            "attn_out_bias", "ffn_norm_weight", "ffn_norm_bias", "ffn_in_weight", "ffn_in_bias", "ffn_out_weight",
            "ffn_out_bias"};
        for (int b = 0; b < model.encoder().blocks(); b++) {
            for (int j = 0; j < parts.length; j++) {
                NDArray a = e[1 + b * parts.length + j];
                arrays.put("block" + b + "_" + parts[j],
                        a.getShape().dimension() == 2 ? matrix(a, chunkBytes) : vector(a));
            }
        }
        arrays.put("last_norm_weight", vector(e[e.length - 2]));
        arrays.put("last_norm_bias", vector(e[e.length - 1]));
        return arrays;
    }

    /** The history tower's weights by name: item_embedding, user_embedding, then per layer linear/norm weight and bias. */
    private static Map<String, NpzFormat.EntryWriter> userTower(TwoTowerModel model, int chunkBytes) {
        Map<String, NpzFormat.EntryWriter> arrays = new LinkedHashMap<>();
        NDArray[] user = model.userTower().parameters();
        arrays.put("item_embedding", matrix(model.itemTower().parameters()[0], chunkBytes));
        if (model.usesParameter(0)) {
            arrays.put("user_embedding", matrix(user[0], chunkBytes));
        }
        for (int layer = 0; layer < 2; layer++) {
            int base = 1 + layer * 4;
            arrays.put("linear" + layer + "_weight", matrix(user[base], chunkBytes));
            arrays.put("linear" + layer + "_bias", vector(user[base + 1]));
            arrays.put("norm" + layer + "_weight", vector(user[base + 2]));
            arrays.put("norm" + layer + "_bias", vector(user[base + 3]));
        }
        return arrays;
    }

    /** A 2-D parameter as .npy: the header, then its rows in chunks. */
    private static NpzFormat.EntryWriter matrix(NDArray a, int chunkBytes) {
        return out -> {
            out.write(NpyFormat.header(a.getShape().get(0), (int) a.getShape().get(1)));
            writeRows(out, a, chunkBytes);
        };
    }

    private static NpzFormat.EntryWriter vector(NDArray a) {
        return out -> {
            float[] values = a.toFloatArray();
            out.write(NpyFormat.vectorHeader(values.length));
            out.write(NpyFormat.littleEndian(values, values.length));
        };
    }

    /** The float32 rows of a matrix, little-endian, {@code chunkBytes} of them at a time through the heap. */
    static void writeRows(OutputStream out, NDArray matrix, int chunkBytes) throws IOException {
        long rows = matrix.getShape().get(0);
        long cols = matrix.getShape().get(1);
        long perChunk = Math.max(1, chunkBytes / (4 * Math.max(1, cols)));
        for (long start = 0; start < rows; start += perChunk) {
            long end = Math.min(rows, start + perChunk);
            try (NDArray slice = matrix.get(new NDIndex("{}:{}", start, end))) {
                float[] values = slice.toFloatArray();
                out.write(NpyFormat.littleEndian(values, values.length));
            }
        }
    }
}
