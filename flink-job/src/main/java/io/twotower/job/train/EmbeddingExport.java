package io.twotower.job.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import io.twotower.connectors.snapshot.NpyFormat;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.twotower.model.RetrievalEvaluator;
import io.twotower.model.TwoTowerConfig;
import io.twotower.model.TwoTowerModel;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/** The files of an embedding snapshot: every user's and item's vector (eval mode) and the weights. */
public final class EmbeddingExport {
    public static final String USER_EMBEDDINGS = "user_embeddings.npy";
    public static final String ITEM_EMBEDDINGS = "item_embeddings.npy";
    public static final String MODEL_PARAMETERS = "model_parameters.ndlist";

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
        return fields;
    }

    public static Map<String, byte[]> files(TwoTowerModel model, RetrievalEvaluator evaluator) {
        Map<String, byte[]> files = new LinkedHashMap<>();
        try (NDManager scope = model.manager().newSubManager()) {
            NDArray users = evaluator.allUserVectors(model, scope);
            NDArray items = evaluator.allItemVectors(model, scope);
            files.put(USER_EMBEDDINGS, NpyFormat.encode(users.toFloatArray(), model.numUsers(), model.dModel()));
            files.put(ITEM_EMBEDDINGS, NpyFormat.encode(items.toFloatArray(), model.numItems(), model.dModel()));
        }
        // The weights in DJL's NDList encoding, in TwoTowerModel.parameterNames() order, for warm starts.
        files.put(MODEL_PARAMETERS, new NDList(model.parameters()).encode());
        return files;
    }
}
