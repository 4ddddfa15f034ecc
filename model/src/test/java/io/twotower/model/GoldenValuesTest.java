package io.twotower.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** Compares the DJL port with values PyTorch computed with the notebook's own code (tools/golden). */
class GoldenValuesTest {
    private static JsonNode golden;
    private NDManager manager;
    private TwoTowerConfig config;

    @BeforeAll
    static void load() throws Exception {
        try (InputStream in = GoldenValuesTest.class.getResourceAsStream("/golden/two_tower_golden.json")) {
            golden = new ObjectMapper().readTree(in);
        }
    }

    @BeforeEach
    void setUp() {
        manager = NDManager.newBaseManager();
        config = TwoTowerConfig.defaults().withValues(Map.of(
                "d_model", 8, "dropout", 0, "lr", 0.01, "weight_decay", 0.1, "accum_steps", 2,
                "k_neg", 3, "batch_size", 4), "test");
    }

    @AfterEach
    void tearDown() {
        manager.close();
    }

    static NDList params(NDManager manager, JsonNode state) {
        NDList list = new NDList();
        for (String name : TwoTowerModel.parameterNames()) {
            list.add(array(manager, state.get(name)));
        }
        return list;
    }

    static NDArray array(NDManager manager, JsonNode node) {
        if (node.get(0).isArray()) {
            int rows = node.size();
            int cols = node.get(0).size();
            float[] values = new float[rows * cols];
            for (int r = 0; r < rows; r++) {
                for (int c = 0; c < cols; c++) {
                    values[r * cols + c] = (float) node.get(r).get(c).asDouble();
                }
            }
            return manager.create(values, new Shape(rows, cols));
        }
        float[] values = new float[node.size()];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) node.get(i).asDouble();
        }
        return manager.create(values);
    }

    static TrainingBatch batch(JsonNode b, int kNeg) {
        TrainingBatch batch = new TrainingBatch(b.get("users").size(), kNeg);
        int[] neg = new int[kNeg];
        for (int i = 0; i < b.get("users").size(); i++) {
            for (int j = 0; j < kNeg; j++) {
                neg[j] = b.get("neg").get(i).get(j).asInt();
            }
            batch.add(b.get("users").get(i).asInt(), b.get("pos").get(i).asInt(), neg, 0);
        }
        return batch;
    }

    private TwoTowerTrainer goldenTrainer() {
        NDManager modelManager = manager.newSubManager();
        TwoTowerModel model = TwoTowerModel.of(modelManager, config, params(modelManager, golden.get("initial_params")));
        return TwoTowerTrainer.create(config, model);
    }

    @Test
    void forwardScoresAndLossMatchPyTorch() {
        try (TwoTowerTrainer trainer = goldenTrainer(); NDManager scope = manager.newSubManager()) {
            JsonNode first = golden.get("batches").get(0);
            JsonNode expected = golden.get("first_batch");
            NDArray users = scope.create(new long[] {0, 1, 2, 4});
            float[] userVec = trainer.model().userVectors(users, false).toFloatArray();
            float[] expectedVec = array(scope, expected.get("user_vec")).toFloatArray();
            assertThat(userVec).containsExactly(expectedVec, within(1e-5f));

            float loss = trainer.batchLoss(scope, batch(first, 3), false).getFloat();
            assertThat((double) loss).isCloseTo(expected.get("loss").asDouble(), within(1e-5));
        }
    }

    @Test
    void adamWStepsWithGradientAccumulationMatchPyTorch() {
        try (TwoTowerTrainer trainer = goldenTrainer()) {
            JsonNode batches = golden.get("batches");
            JsonNode losses = golden.get("micro_batch_losses");
            int micro = 0;
            for (int step = 0; step < 2; step++) {
                trainer.startEpoch();
                for (int i = 0; i < batches.size(); i++) {
                    float loss = trainer.trainBatch(batch(batches.get(i), 3));
                    assertThat((double) loss).isCloseTo(losses.get(micro++).asDouble(), within(1e-5));
                }
                assertThat(trainer.steps()).isEqualTo(step + 1);
                assertParamsEqual(trainer.model(), golden.get("params_after_step").get(step), 2e-5f);
            }
        }
    }

    private void assertParamsEqual(TwoTowerModel model, JsonNode state, float tolerance) {
        String[] names = TwoTowerModel.parameterNames();
        NDArray[] params = model.parameters();
        try (NDManager scope = manager.newSubManager()) {
            for (int i = 0; i < names.length; i++) {
                float[] expected = array(scope, state.get(names[i])).toFloatArray();
                assertThat(params[i].toFloatArray()).as(names[i]).containsExactly(expected, within(tolerance));
            }
        }
    }

    @Test
    void fullCatalogRanksMatchPyTorch() {
        try (TwoTowerTrainer trainer = goldenTrainer()) {
            // Move the model to the state after two steps, where PyTorch computed the ranks.
            JsonNode batches = golden.get("batches");
            for (int step = 0; step < 2; step++) {
                trainer.startEpoch();
                for (JsonNode b : batches) {
                    trainer.trainBatch(batch(b, 3));
                }
            }
            JsonNode val = golden.get("val");
            int[] users = toInts(val.get("users"));
            int[] pos = toInts(val.get("pos"));
            int[] ranks = new RetrievalEvaluator(4).ranks(trainer.model(), users, null, pos, null);
            assertThat(ranks).containsExactly(toInts(val.get("ranks")));
        }
    }

    @Test
    void reduceLrOnPlateauMatchesPyTorch() {
        JsonNode plateau = golden.get("plateau");
        ReduceLROnPlateau scheduler = new ReduceLROnPlateau(0.5, 3);
        double lr = 5e-4;
        for (int i = 0; i < plateau.get("metrics").size(); i++) {
            lr = scheduler.step(plateau.get("metrics").get(i).asDouble(), lr);
            assertThat(lr).as("lr after metric %s", i).isCloseTo(plateau.get("lrs").get(i).asDouble(), within(1e-12));
        }
    }

    static int[] toInts(JsonNode node) {
        int[] out = new int[node.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = node.get(i).asInt();
        }
        return out;
    }
}
