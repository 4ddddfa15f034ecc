package io.twotower.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * {@code model: sequence} against PyTorch (tools/golden/make_sequence_golden.py, the tower's definition): the
 * encoder's output at every real slot, the user vectors, the every-position losses (full softmax, in-batch, with the
 * item MLP), the last-position loss, and two AdamW steps of every-position training.
 */
class SequenceGoldenTest {
    private static JsonNode golden;
    private NDManager manager;

    @BeforeAll
    static void load() throws Exception {
        try (InputStream in = SequenceGoldenTest.class.getResourceAsStream("/golden/sequence_golden.json")) {
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

    private static TwoTowerConfig config(Map<String, Object> extra) {
        JsonNode c = golden.get("config");
        Map<String, Object> values = new HashMap<>(Map.of("model", "sequence", "d_model", c.get("d_model").asInt(),
                "history_length", c.get("max_length").asInt(), "sequence_blocks", c.get("blocks").asInt(),
                "sequence_heads", c.get("heads").asInt(), "dropout", 0, "lr", c.get("lr").asDouble(),
                "weight_decay", c.get("weight_decay").asDouble(), "accum_steps", 1, "negatives", "full"));
        values.put("k_neg", 1);
        values.put("batch_size", 4);
        values.put("fixed_logit_scale", c.get("fixed_logit_scale").asDouble());
        values.putAll(extra);
        return TwoTowerConfig.defaults().withValues(values, "test");
    }

    /** The golden model: an unused user tower (3 users), then the golden item tower and encoder. */
    private TwoTowerModel model(NDManager m, TwoTowerConfig config) {
        NDList all = new NDList();
        try (TwoTowerModel fresh = TwoTowerModel.initialise(m.newSubManager(), config, 3, 12)) {
            for (int i = 0; i < 9; i++) {
                NDArray p = fresh.parameters()[i].duplicate();
                p.attach(m);
                all.add(p);
            }
        }
        JsonNode initial = golden.get("initial_params");
        for (JsonNode name : golden.get("parameter_names")) {
            all.add(GoldenValuesTest.array(m, initial.get(name.asText())));
        }
        return TwoTowerModel.of(m, config, all);
    }

    private static TrainingBatch batch(TwoTowerConfig config, JsonNode b, boolean windows) {
        JsonNode histories = b.get("histories");
        TrainingBatch batch = new TrainingBatch(4, 1, config.historyLength(), windows);
        for (int r = 0; r < histories.size(); r++) {
            int[] h = ints(histories.get(r));
            batch.add(r, b.get("positives").get(r).asInt(), new int[] {0}, 0, h, h.length);
        }
        return batch;
    }

    private static int[] ints(JsonNode node) {
        int[] out = new int[node.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = node.get(i).asInt();
        }
        return out;
    }

    @Test
    void parameterNamesAreTheReferencesStateDict() {
        String[] names = TwoTowerModel.parameterNames(config(Map.of()));
        assertThat(names).hasSize(9 + golden.get("parameter_names").size());
        for (int i = 0; i < golden.get("parameter_names").size(); i++) {
            assertThat(names[9 + i]).isEqualTo(golden.get("parameter_names").get(i).asText());
        }
    }

    @Test
    void encoderOutputsAndUserVectorsMatchPyTorch() {
        TwoTowerConfig config = config(Map.of());
        JsonNode first = golden.get("batches").get(0);
        try (TwoTowerModel model = model(manager.newSubManager(), config); NDManager scope = manager.newSubManager()) {
            TrainingBatch batch = batch(config, first, true);
            NDArray out = model.sequenceOutputs(scope, batch.size(), batch.historyItems(), batch.historyCounts(), false,
                    EmbeddingRows.of(model.itemTower().table()));
            int length = config.historyLength();
            int d = config.dModel();
            float[] values = out.toFloatArray();
            JsonNode expected = golden.get("first_batch").get("outputs");
            for (int r = 0; r < batch.size(); r++) {
                int count = batch.historyCounts()[r];
                for (int j = 0; j < count; j++) {
                    int slot = length - count + j;
                    for (int c = 0; c < d; c++) {
                        assertThat(values[(r * length + slot) * d + c]).as("row %d slot %d dim %d", r, slot, c)
                                .isCloseTo((float) expected.get(r).get(j).get(c).asDouble(), within(1e-5f));
                    }
                }
                for (int slot = 0; slot < length - count; slot++) {
                    for (int c = 0; c < d; c++) {
                        assertThat(values[(r * length + slot) * d + c]).as("padded slot").isZero();
                    }
                }
            }
            int[][] histories = new int[first.get("histories").size()][];
            for (int r = 0; r < histories.length; r++) {
                histories[r] = ints(first.get("histories").get(r));
            }
            float[] users = model.userVectors(scope, new int[] {0, 1, 2}, histories, 0, 3).toFloatArray();
            JsonNode vectors = golden.get("first_batch").get("user_vectors");
            for (int r = 0; r < 3; r++) {
                for (int c = 0; c < d; c++) {
                    assertThat(users[r * d + c]).isCloseTo((float) vectors.get(r).get(c).asDouble(), within(1e-5f));
                }
            }
        }
    }

    @Test
    void everyPositionLossesMatchPyTorch() {
        JsonNode losses = golden.get("first_batch").get("losses");
        assertThat(loss(config(Map.of()), true)).isCloseTo((float) losses.get("full").asDouble(), within(1e-5f));
        assertThat(loss(config(Map.of("negatives", "in_batch", "logq_correction", false)), true))
                .isCloseTo((float) losses.get("in_batch").asDouble(), within(1e-5f));
        assertThat(loss(config(Map.of("item_tower_mlp", true)), true))
                .isCloseTo((float) losses.get("full_mlp").asDouble(), within(1e-5f));
        assertThat(loss(config(Map.of()), false))
                .isCloseTo((float) losses.get("last_position_full").asDouble(), within(1e-5f));
    }

    private float loss(TwoTowerConfig config, boolean windows) {
        try (TwoTowerTrainer trainer = TwoTowerTrainer.create(config, model(manager.newSubManager(), config));
                NDManager scope = manager.newSubManager()) {
            return trainer.batchLoss(scope, batch(config, golden.get("batches").get(0), windows), false).getFloat();
        }
    }

    @Test
    void twoAdamWStepsOfEveryPositionTrainingMatchPyTorch() {
        TwoTowerConfig config = config(Map.of());
        try (TwoTowerTrainer trainer = TwoTowerTrainer.create(config, model(manager.newSubManager(), config))) {
            String[] names = TwoTowerModel.parameterNames(config);
            for (int step = 0; step < 2; step++) {
                float loss = trainer.trainBatch(batch(config, golden.get("batches").get(step), true));
                assertThat(loss).isCloseTo((float) golden.get("step_losses").get(step).asDouble(), within(1e-5f));
                JsonNode expected = golden.get("params_after_step").get(step);
                NDArray[] params = trainer.model().parameters();
                for (int i = 9; i < names.length; i++) {
                    float[] want = GoldenValuesTest.array(manager, expected.get(names[i])).toFloatArray();
                    float[] got = params[i].toFloatArray();
                    assertThat(got).as("%s after step %d", names[i], step + 1).hasSize(want.length);
                    for (int j = 0; j < want.length; j++) {
                        // The key projection's bias shifts every score of a query row alike, which the softmax
                        // cancels: its gradient is 0 but for rounding noise, which AdamW scales up to a step of up
                        // to lr either way. Only that bound holds, in PyTorch as here.
                        boolean keyBias = names[i].endsWith("in_proj_bias") && j >= config.dModel()
                                && j < 2 * config.dModel();
                        assertThat(got[j]).as("%s[%d] after step %d", names[i], j, step + 1)
                                .isCloseTo(want[j], within(keyBias ? 2.1f * (float) config.lr() : 2e-5f));
                    }
                }
            }
            assertThat(trainer.steps()).isEqualTo(2);
        }
    }

    @Test
    void configurationRulesNameTheKey() {
        assertThatThrownBy(() -> config(Map.of("negatives", "uniform")))
                .hasMessageContaining("negatives").hasMessageContaining("model: sequence");
        assertThatThrownBy(() -> config(Map.of("sequence_heads", 3))).hasMessageContaining("sequence_heads");
        assertThatThrownBy(() -> TwoTowerConfig.defaults().withValues(Map.of("item_tower_mlp", false), "test"))
                .hasMessageContaining("item_tower_mlp");
        assertThatThrownBy(() -> config(Map.of("embedding_optimizer", "rowwise_adagrad")))
                .hasMessageContaining("negatives: full");
    }
}
