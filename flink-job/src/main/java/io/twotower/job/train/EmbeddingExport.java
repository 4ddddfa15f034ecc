package io.twotower.job.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import io.twotower.connectors.snapshot.NpyFormat;
import io.twotower.connectors.snapshot.NpzFormat;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.twotower.model.RetrievalEvaluator;
import io.twotower.model.TwoTowerConfig;
import io.twotower.model.TwoTowerModel;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The files of an embedding snapshot: every user's and item's vector (eval mode) and the weights. With
 * the history tower, also {@code user_tower.npz}: what a reader needs to compute a user vector from any
 * history (docs/snapshot-format.md shows the numpy code), e.g. for a user who arrived after the snapshot.
 */
public final class EmbeddingExport {
    public static final String USER_EMBEDDINGS = "user_embeddings.npy";
    public static final String ITEM_EMBEDDINGS = "item_embeddings.npy";
    public static final String MODEL_PARAMETERS = "model_parameters.ndlist";
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
        if (config.historyTower()) {
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
     * The snapshot's files; {@code histories[u]} is user u's latest history (oldest first) for the history
     * tower's user vectors, null in seed mode.
     */
    public static Map<String, byte[]> files(TwoTowerModel model, RetrievalEvaluator evaluator, int[][] histories) {
        Map<String, byte[]> files = new LinkedHashMap<>();
        try (NDManager scope = model.manager().newSubManager()) {
            NDArray users = evaluator.allUserVectors(model, histories, scope);
            NDArray items = evaluator.allItemVectors(model, scope);
            files.put(USER_EMBEDDINGS, NpyFormat.encode(users.toFloatArray(), model.numUsers(), model.dModel()));
            files.put(ITEM_EMBEDDINGS, NpyFormat.encode(items.toFloatArray(), model.numItems(), model.dModel()));
        }
        // The weights in DJL's NDList encoding, in TwoTowerModel.parameterNames() order, for warm starts.
        files.put(MODEL_PARAMETERS, new NDList(model.parameters()).encode());
        if (model.historyLength() > 0) {
            files.put(USER_TOWER, userTower(model));
        }
        return files;
    }

    /** The history tower's weights by name: item_embedding, user_embedding, then per layer linear/norm weight and bias. */
    private static byte[] userTower(TwoTowerModel model) {
        Map<String, byte[]> arrays = new LinkedHashMap<>();
        NDArray[] user = model.userTower().parameters();
        arrays.put("item_embedding", matrix(model.itemTower().parameters()[0]));
        if (model.usesParameter(0)) {
            arrays.put("user_embedding", matrix(user[0]));
        }
        for (int layer = 0; layer < 2; layer++) {
            int base = 1 + layer * 4;
            arrays.put("linear" + layer + "_weight", matrix(user[base]));
            arrays.put("linear" + layer + "_bias", NpyFormat.encodeVector(user[base + 1].toFloatArray()));
            arrays.put("norm" + layer + "_weight", NpyFormat.encodeVector(user[base + 2].toFloatArray()));
            arrays.put("norm" + layer + "_bias", NpyFormat.encodeVector(user[base + 3].toFloatArray()));
        }
        return NpzFormat.encode(arrays);
    }

    private static byte[] matrix(NDArray a) {
        return NpyFormat.encode(a.toFloatArray(), (int) a.getShape().get(0), (int) a.getShape().get(1));
    }
}
