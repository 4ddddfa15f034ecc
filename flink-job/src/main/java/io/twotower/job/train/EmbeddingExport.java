package io.twotower.job.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import io.twotower.connectors.snapshot.NpyFormat;
import io.twotower.model.RetrievalEvaluator;
import io.twotower.model.TwoTowerModel;

import java.util.LinkedHashMap;
import java.util.Map;

/** The files of an embedding snapshot: every user's and item's vector (eval mode) and the weights. */
public final class EmbeddingExport {
    public static final String USER_EMBEDDINGS = "user_embeddings.npy";
    public static final String ITEM_EMBEDDINGS = "item_embeddings.npy";
    public static final String MODEL_PARAMETERS = "model_parameters.ndlist";

    private EmbeddingExport() {}

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
