package io.twotower.job;

import io.twotower.job.train.PreparedData;
import io.twotower.job.train.TrainingJob;
import io.twotower.model.TwoTowerConfig;
import org.apache.flink.api.common.JobID;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.checkpoint.AbstractCheckpointStats;
import org.apache.flink.runtime.executiongraph.AccessExecutionGraph;
import org.apache.flink.runtime.executiongraph.AccessExecutionJobVertex;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import org.apache.flink.test.junit5.InjectMiniCluster;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code --table-state keyed} on RocksDB with incremental checkpoints: the first checkpoint holds every embedding
 * row, the next one only the rows the batches touched in between (the catalog here is far larger than that).
 */
class KeyedTableCheckpointITCase {
    @RegisterExtension
    static final MiniClusterExtension CLUSTER = MiniClusters.withTrainerSlot();

    @Test
    void anIncrementalCheckpointHoldsTheRowsTouchedNotTheTables(@TempDir Path dir, @InjectMiniCluster MiniCluster cluster)
            throws Exception {
        Path data = catalogMostlyOutsideTraining(dir);
        PreparedData prepared = PreparedData.validate(data.toString());
        assertThat(prepared.numItems).isEqualTo(ACTIVE_ITEMS + CATALOG_USERS);
        TwoTowerConfig config = TwoTowerConfig.defaults().withValues(Map.of(
                "d_model", 32, "batch_size", 32, "negatives", "in_batch", "embedding_optimizer", "rowwise_adagrad",
                "embedding_lr", 0.05, "epochs", 30, "patience", 30, "lr", 0.01, "frequency_buckets", 4096), "test");

        Configuration conf = new Configuration();
        conf.setString("state.backend.type", "rocksdb");
        conf.setString("execution.checkpointing.incremental", "true");
        // No periodic checkpoint in the test's time: the test triggers the two checkpoints it compares.
        conf.setString("execution.checkpointing.interval", "1 h");
        conf.setString("execution.checkpointing.dir", dir.resolve("checkpoints").toUri().toString());
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        env.setParallelism(1);
        TrainingJob.Options options = new TrainingJob.Options();
        options.dataDir = data.toString();
        options.outputDir = dir.resolve("out").toString();
        options.config = config;
        options.runId = "keyed";
        // auto: a sparse embedding optimizer on RocksDB with incremental checkpoints keeps the tables as keyed rows.
        options.tableState = "auto";
        TrainingJob.build(env, options).sinkTo(new DiscardingSink<>()).name("reports");
        JobClient job = env.executeAsync("keyed tables");
        JobID id = job.getJobID();

        long full = checkpointWhenRunning(cluster, id);
        long incremental = cluster.triggerCheckpoint(id, org.apache.flink.core.execution.CheckpointType.INCREMENTAL)
                .get();
        // Enough epochs to outlast both checkpoints; then the job is cancelled (its statistics stay).
        job.cancel().get();
        waitUntilTerminal(cluster, id);

        AccessExecutionGraph graph = cluster.getExecutionGraph(id).get();
        long fullBytes = trainerCheckpointedSize(graph, full);
        long incrementalBytes = trainerCheckpointedSize(graph, incremental);
        long rows = prepared.numUsers + prepared.numItems;
        long tableBytes = rows * (config.dModel() + 1) * Float.BYTES; // row-wise Adagrad: one float of state per row
        System.out.printf("keyed table rows on RocksDB: full checkpoint %d bytes, incremental %d bytes (%d rows)%n",
                fullBytes, incrementalBytes, rows);
        assertThat(fullBytes).as("the first checkpoint holds every row (%s rows, %s bytes)", rows, tableBytes)
                .isGreaterThan(tableBytes / 2);
        assertThat(incrementalBytes).as("the next holds the rows touched since (full: %s bytes)", fullBytes)
                .isLessThan(fullBytes / 4);

    }

    private static final int ACTIVE_USERS = 150;
    private static final int ACTIVE_ITEMS = 300;
    private static final int CATALOG_USERS = 20_000;

    /**
     * A log whose catalog is far larger than what training touches: 150 active users with 40 interactions each over
     * 300 items give every training row, and 20,000 users with one interaction each (held out for validation, so no
     * training row) bring 20,000 more items. In-batch negatives then keep every update within the 450 active rows,
     * however the checkpoints fall: an incremental checkpoint can hold at most those, a full one holds 40k rows.
     */
    private static Path catalogMostlyOutsideTraining(Path dir) throws Exception {
        java.util.Random rng = new java.util.Random(5);
        StringBuilder csv = new StringBuilder("userId,movieId,rating,timestamp\n");
        long time = 1_000_000;
        for (int u = 0; u < ACTIVE_USERS; u++) {
            for (int t = 0; t < 40; t++) {
                csv.append(u).append(',').append(rng.nextInt(ACTIVE_ITEMS)).append(",4.0,").append(time++).append('\n');
            }
        }
        for (int u = 0; u < CATALOG_USERS; u++) {
            csv.append(ACTIVE_USERS + u).append(',').append(ACTIVE_ITEMS + u).append(",4.0,").append(time++).append('\n');
        }
        Path log = dir.resolve("log.csv");
        Files.writeString(log, csv);
        Path prepared = dir.resolve("prepared");
        PrepareJobITCase.prepare(log.toString(), prepared.toString());
        return prepared;
    }

    private static void waitUntilTerminal(MiniCluster cluster, JobID id) throws Exception {
        while (!cluster.getJobStatus(id).get().isGloballyTerminalState()) {
            Thread.sleep(50);
        }
    }

    /** Triggers a checkpoint as soon as every task runs; returns its id. */
    private static long checkpointWhenRunning(MiniCluster cluster, JobID id) throws Exception {
        long deadline = System.nanoTime() + 120_000_000_000L;
        while (true) {
            try {
                return cluster.triggerCheckpoint(id, org.apache.flink.core.execution.CheckpointType.INCREMENTAL).get();
            } catch (Exception e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
                Thread.sleep(50); // not all tasks running yet
            }
        }
    }

    /** The bytes checkpoint {@code checkpoint} added for the trainer (with incremental RocksDB: new files only). */
    private static long trainerCheckpointedSize(AccessExecutionGraph graph, long checkpoint) {
        AbstractCheckpointStats stats = graph.getCheckpointStatsSnapshot().getHistory().getCheckpointById(checkpoint);
        assertThat(stats).as("checkpoint %s in the history", checkpoint).isNotNull();
        for (AccessExecutionJobVertex vertex : graph.getAllVertices().values()) {
            if (vertex.getName().contains("train two-tower")) {
                return stats.getTaskStateStats(vertex.getJobVertexId()).getCheckpointedSize();
            }
        }
        throw new AssertionError("no trainer vertex in " + graph.getAllVertices().keySet());
    }
}
