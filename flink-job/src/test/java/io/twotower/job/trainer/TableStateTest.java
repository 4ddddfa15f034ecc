package io.twotower.job.trainer;

import io.twotower.model.TwoTowerConfig;
import org.apache.flink.configuration.Configuration;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TableStateTest {
    private static final TwoTowerConfig SPARSE = TwoTowerConfig.defaults()
            .withValues(Map.of("embedding_optimizer", "rowwise_adagrad"), "test");
    private static final TwoTowerConfig DENSE = TwoTowerConfig.defaults();

    private static Configuration flink(String backend, boolean incremental) {
        Configuration conf = new Configuration();
        conf.setString("state.backend.type", backend);
        conf.setString("execution.checkpointing.incremental", Boolean.toString(incremental));
        return conf;
    }

    @Test
    void autoKeepsRowsInKeyedStateOnlyWhereCheckpointsAreIncremental() {
        assertThat(TableState.resolve("auto", SPARSE, flink("rocksdb", true))).isEqualTo(TableState.KEYED);
        assertThat(TableState.resolve("auto", SPARSE, flink("rocksdb", false))).isEqualTo(TableState.OPERATOR);
        assertThat(TableState.resolve("auto", SPARSE, flink("hashmap", true))).isEqualTo(TableState.OPERATOR);
        assertThat(TableState.resolve("auto", SPARSE, new Configuration())).isEqualTo(TableState.OPERATOR);
        assertThat(TableState.resolve("auto", DENSE, flink("rocksdb", true))).isEqualTo(TableState.OPERATOR);
    }

    @Test
    void explicitChoicesAndTheirErrors() {
        assertThat(TableState.resolve("keyed", SPARSE, new Configuration())).isEqualTo(TableState.KEYED);
        assertThat(TableState.resolve("operator", SPARSE, flink("rocksdb", true))).isEqualTo(TableState.OPERATOR);
        assertThatThrownBy(() -> TableState.resolve("keyed", DENSE, flink("rocksdb", true)))
                .hasMessageContaining("--table-state keyed").hasMessageContaining("embedding_optimizer dense");
        assertThatThrownBy(() -> TableState.resolve("rows", SPARSE, new Configuration()))
                .hasMessageContaining("--table-state must be auto, operator or keyed, got rows");
    }
}
