package io.twotower.model;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TwoTowerConfigTest {
    private static InputStream yaml(String text) {
        return new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void defaultsAreTheNotebooksCfg() {
        TwoTowerConfig c = TwoTowerConfig.defaults();
        assertThat(c.dModel()).isEqualTo(256);
        assertThat(c.batchSize()).isEqualTo(512);
        assertThat(c.accumSteps()).isEqualTo(2);
        assertThat(c.epochs()).isEqualTo(50);
        assertThat(c.patience()).isEqualTo(6);
        assertThat(c.lr()).isEqualTo(5e-4);
        assertThat(c.weightDecay()).isEqualTo(1e-4);
        assertThat(c.dropout()).isEqualTo(0.2);
        assertThat(c.evalTopK()).isEqualTo(10);
        assertThat(c.seed()).isEqualTo(42);
        assertThat(c.kNeg()).isEqualTo(50);
        assertThat(c.fixedLogitScale()).isEqualTo(10.0);
    }

    @Test
    void yamlAndOverridesApply() throws Exception {
        TwoTowerConfig c = TwoTowerConfig.fromYaml(yaml("d_model: 64\nlr: 0.001\n"), "x.yaml")
                .withOverrides(List.of("epochs=3", "k_neg=20"));
        assertThat(c.dModel()).isEqualTo(64);
        assertThat(c.lr()).isEqualTo(0.001);
        assertThat(c.epochs()).isEqualTo(3);
        assertThat(c.kNeg()).isEqualTo(20);
    }

    @Test
    void unknownKeysAndBadValuesNameTheKey() {
        assertThatThrownBy(() -> TwoTowerConfig.fromYaml(yaml("d_modle: 64\n"), "conf.yaml"))
                .hasMessageContaining("conf.yaml").hasMessageContaining("'d_modle'");
        assertThatThrownBy(() -> TwoTowerConfig.defaults().withOverrides(List.of("dropout=1.5")))
                .hasMessageContaining("'dropout'").hasMessageContaining("[0, 1)");
        assertThatThrownBy(() -> TwoTowerConfig.defaults().withOverrides(List.of("batch_size=0")))
                .hasMessageContaining("'batch_size'");
        assertThatThrownBy(() -> TwoTowerConfig.defaults().withOverrides(List.of("epochs=many")))
                .hasMessageContaining("'epochs'").hasMessageContaining("integer");
        assertThatThrownBy(() -> TwoTowerConfig.defaults().withOverrides(List.of("epochs")))
                .hasMessageContaining("key=value");
    }

    @Test
    void trainerThreadsIsAutoOrAPositiveCount() throws Exception {
        assertThat(TwoTowerConfig.defaults().trainerThreads()).isZero();
        assertThat(TwoTowerConfig.fromYaml(yaml("trainer_threads: 3\n"), "x.yaml").trainerThreads()).isEqualTo(3);
        assertThat(TwoTowerConfig.defaults().withOverrides(List.of("trainer_threads=AUTO")).trainerThreads()).isZero();
        for (String bad : List.of("0", "-1", "two", "1.5")) {
            assertThatThrownBy(() -> TwoTowerConfig.defaults().withOverrides(List.of("trainer_threads=" + bad)))
                    .hasMessageContaining("'trainer_threads'").hasMessageContaining("auto or an integer");
        }
    }

    @Test
    void theShippedConfigurationsParse() throws Exception {
        try (InputStream in = java.nio.file.Files.newInputStream(java.nio.file.Path.of("..", "conf", "twotower.yaml"))) {
            assertThat(TwoTowerConfig.fromYaml(in, "conf/twotower.yaml")).as("every key at its default")
                    .isEqualTo(TwoTowerConfig.defaults());
        }
        try (InputStream in = java.nio.file.Files.newInputStream(java.nio.file.Path.of("..", "conf", "twotower-large.yaml"))) {
            TwoTowerConfig large = TwoTowerConfig.fromYaml(in, "conf/twotower-large.yaml");
            assertThat(large.embeddingOptimizer()).isEqualTo("rowwise_adagrad");
            assertThat(large.historyTower()).isTrue();
        }
    }

    @Test
    void embeddingOptimizerKeys() {
        TwoTowerConfig dense = TwoTowerConfig.defaults();
        assertThat(dense.embeddingOptimizer()).isEqualTo("dense");
        assertThat(dense.sparseEmbeddings()).isFalse();
        TwoTowerConfig adagrad = dense.withOverrides(List.of("embedding_optimizer=RowWise_Adagrad", "embedding_lr=0.05",
                "adagrad_eps=1e-6", "adagrad_initial_accumulator=0.1"));
        assertThat(adagrad.embeddingOptimizer()).isEqualTo("rowwise_adagrad");
        assertThat(adagrad.sparseEmbeddings()).isTrue();
        assertThat(adagrad.embeddingLr()).isEqualTo(0.05);
        assertThat(adagrad.adagradEps()).isEqualTo(1e-6);
        assertThat(adagrad.adagradInitialAccumulator()).isEqualTo(0.1);
        assertThatThrownBy(() -> dense.withOverrides(List.of("embedding_optimizer=sgd")))
                .hasMessageContaining("'embedding_optimizer'").hasMessageContaining("dense, lazy_adamw, rowwise_adagrad");
        assertThatThrownBy(() -> dense.withOverrides(List.of("embedding_lr=-1")))
                .hasMessageContaining("'embedding_lr'");
        assertThatThrownBy(() -> dense.withOverrides(List.of("adagrad_eps=0")))
                .hasMessageContaining("'adagrad_eps'");
        assertThatThrownBy(() -> dense.withOverrides(List.of("adagrad_initial_accumulator=-0.1")))
                .hasMessageContaining("'adagrad_initial_accumulator'");
    }
}
