package io.twotower.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.util.Arrays;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The sparse embedding optimizers against PyTorch (tools/golden/make_sparse_golden.py): torch.optim.SparseAdam
 * plus decoupled decay on the touched rows, and FBGEMM's exact row-wise Adagrad; the towers' layers with AdamW.
 */
class SparseEmbeddingGoldenTest {
    private static JsonNode golden;
    private NDManager manager;

    @BeforeAll
    static void load() throws Exception {
        try (InputStream in = SparseEmbeddingGoldenTest.class.getResourceAsStream("/golden/sparse_embedding_golden.json")) {
            golden = new ObjectMapper().readTree(in);
        }
    }

    @BeforeEach
    void setUp() {
        manager = NDManager.newBaseManager();
    }

    @AfterEach
    void tearDown() {
        manager.close();
    }

    private static TwoTowerConfig config(String optimizer) {
        JsonNode c = golden.get("config");
        TwoTowerConfig base = TwoTowerConfig.defaults().withValues(Map.of(
                "d_model", c.get("d_model").asInt(), "dropout", 0, "lr", c.get("lr").asDouble(),
                "weight_decay", c.get("weight_decay").asDouble(), "accum_steps", c.get("accum_steps").asInt(),
                "k_neg", c.get("k_neg").asInt(), "batch_size", 4, "embedding_optimizer", optimizer), "test");
        if (optimizer.equals("rowwise_adagrad")) {
            return base.withValues(Map.of("embedding_lr", c.get("adagrad_lr").asDouble(),
                    "adagrad_eps", c.get("adagrad_eps").asDouble(),
                    "adagrad_initial_accumulator", c.get("adagrad_initial_accumulator").asDouble()), "test");
        }
        return base;
    }

    @Test
    void lazyAdamWMatchesSparseAdamWithDecoupledDecay() {
        matchesPyTorch("lazy_adamw");
    }

    @Test
    void rowWiseAdagradMatchesFbgemmsFormula() {
        matchesPyTorch("rowwise_adagrad");
    }

    private void matchesPyTorch(String optimizer) {
        TwoTowerConfig config = config(optimizer);
        JsonNode expected = golden.get(optimizer);
        NDManager modelManager = manager.newSubManager();
        TwoTowerModel model = TwoTowerModel.of(modelManager, config,
                GoldenValuesTest.params(modelManager, golden.get("initial_params")));
        float[] initialUsers = model.parameters()[0].toFloatArray();
        float[] initialItems = model.parameters()[9].toFloatArray();
        int d = config.dModel();
        try (TwoTowerTrainer trainer = TwoTowerTrainer.create(config, model)) {
            JsonNode batches = golden.get("batches");
            int micro = 0;
            for (int step = 0; step < 2; step++) {
                trainer.startEpoch();
                for (int i = 0; i < 2; i++) {
                    float loss = trainer.trainBatch(GoldenValuesTest.batch(batches.get(2 * step + i), config.kNeg()));
                    assertThat((double) loss).as("micro-batch %s", micro)
                            .isCloseTo(expected.get("micro_batch_losses").get(micro).asDouble(), within(1e-5));
                    micro++;
                }
                assertThat(trainer.steps()).isEqualTo(step + 1);
                assertParamsEqual(trainer.model(), expected.get("params_after_step").get(step), 2e-5f);
            }
            // No table-sized gradient ever existed: backward stopped at the gathered leaves.
            for (int table : new int[] {0, 9}) {
                assertThat(JniUtils.getGradient((PtNDArray) trainer.model().parameters()[table]))
                        .as(TwoTowerModel.parameterNames()[table]).isNull();
            }
            // A row no step touched is exactly as initialised (no decay, no update).
            int user = golden.get("untouched").get("user").asInt();
            int item = golden.get("untouched").get("item").asInt();
            assertThat(row(trainer.model().parameters()[0].toFloatArray(), user, d)).containsExactly(row(initialUsers, user, d));
            assertThat(row(trainer.model().parameters()[9].toFloatArray(), item, d)).containsExactly(row(initialItems, item, d));
        }
    }

    private static float[] row(float[] table, int row, int d) {
        return Arrays.copyOfRange(table, row * d, (row + 1) * d);
    }

    private void assertParamsEqual(TwoTowerModel model, JsonNode state, float tolerance) {
        String[] names = TwoTowerModel.parameterNames();
        NDArray[] params = model.parameters();
        try (NDManager scope = manager.newSubManager()) {
            for (int i = 0; i < names.length; i++) {
                float[] expected = GoldenValuesTest.array(scope, state.get(names[i])).toFloatArray();
                assertThat(params[i].toFloatArray()).as(names[i]).containsExactly(expected, within(tolerance));
            }
        }
    }
}
