package io.twotower.job.trainer;

import io.twotower.model.TwoTowerConfig;

import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.ReadableConfig;
import org.apache.flink.configuration.StateBackendOptions;

import java.util.Locale;

/**
 * Where a trainer checkpoints its embedding tables ({@code --table-state}).
 * <ul>
 *   <li>{@code operator}: whole, streamed in chunks into the operator's raw state ({@link TrainerCheckpoint}); every
 *       checkpoint writes every row.</li>
 *   <li>{@code keyed}: one keyed-state entry per row, written when the row changed ({@link KeyedTableRows}); with
 *       RocksDB and incremental checkpoints a checkpoint then costs about the rows touched since the last one.</li>
 *   <li>{@code auto} (the default): keyed where that makes checkpoints incremental (a sparse embedding_optimizer,
 *       state.backend.type rocksdb and execution.checkpointing.incremental true), else operator. On the heap
 *       backend keyed rows would be a second copy of the tables on the Java heap, so auto never picks it there.</li>
 * </ul>
 */
public enum TableState {
    OPERATOR, KEYED;

    public static final String OPTION = "table-state";

    /** The {@code --table-state} value for this configuration and the job's Flink configuration. */
    public static TableState resolve(String option, TwoTowerConfig config, ReadableConfig flink) {
        switch (option.toLowerCase(Locale.ROOT)) {
            case "operator":
                return OPERATOR;
            case "keyed":
                if (!config.sparseEmbeddings()) {
                    throw new IllegalArgumentException("--" + OPTION + " keyed needs a sparse embedding_optimizer "
                            + "(lazy_adamw or rowwise_adagrad); embedding_optimizer " + config.embeddingOptimizer()
                            + " rewrites every row at every step, so every checkpoint would hold every row anyway");
                }
                return KEYED;
            case "auto":
                return config.sparseEmbeddings() && incrementalRocksDb(flink) ? KEYED : OPERATOR;
            default:
                throw new IllegalArgumentException("--" + OPTION + " must be auto, operator or keyed, got " + option);
        }
    }

    /** Whether the job checkpoints RocksDB state incrementally. */
    static boolean incrementalRocksDb(ReadableConfig flink) {
        String backend = flink.getOptional(StateBackendOptions.STATE_BACKEND).orElse("hashmap");
        return backend.toLowerCase(Locale.ROOT).contains("rocksdb")
                && flink.get(CheckpointingOptions.INCREMENTAL_CHECKPOINTS);
    }
}
