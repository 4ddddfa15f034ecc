package io.twotower.job;

import io.twotower.job.cli.CliArgs;
import io.twotower.job.cli.FlinkEnvironments;
import io.twotower.job.trainer.TableState;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.twotower.connectors.snapshot.SnapshotStore;
import io.twotower.job.train.TrainingJob;
import io.twotower.model.TwoTowerConfig;
import org.apache.flink.core.fs.FSDataInputStream;
import org.apache.flink.core.fs.Path;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.configuration.DeploymentOptions;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;

import java.io.IOException;
import java.io.InputStream;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** {@code train}: builds the training job from the command line and runs it (embedded or on a cluster). */
final class TrainCommand {
    static final String BUNDLED_CONFIG = "/twotower.yaml";

    private TrainCommand() {}

    static int run(CliArgs cli) throws Exception {
        cli.rejectUnknown(Set.of("data", "output", "config", "run-id", "keep-snapshots", "checkpoint-interval",
                TableState.OPTION), "train");
        TrainingJob.Options options = new TrainingJob.Options();
        options.dataDir = cli.required("data");
        options.outputDir = cli.required("output");
        options.config = loadConfig(cli.get("config", null)).withOverrides(cli.sets());
        options.runId = cli.get("run-id", "train-" + ZonedDateTime.now(ZoneOffset.UTC)
                .format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss", Locale.ROOT)));
        options.keepSnapshots = cli.getInt("keep-snapshots", options.keepSnapshots);
        options.tableState = cli.get(TableState.OPTION, options.tableState);

        Map<String, String> flink = new LinkedHashMap<>(cli.flinkOptions());
        int interval = cli.getInt("checkpoint-interval", 0);
        if (interval > 0) {
            flink.put("execution.checkpointing.interval", interval + " ms");
        }
        Map<String, String> cluster = FlinkEnvironments.configuration(Map.of()).toMap();
        if ((flink.containsKey("execution.checkpointing.interval")
                || cluster.containsKey("execution.checkpointing.interval"))
                && !cluster.containsKey("execution.checkpointing.dir")) {
            // The trainer's state (weights, moments) is far larger than the JobManager's in-memory limit.
            flink.putIfAbsent("execution.checkpointing.dir", qualified(new Path(options.outputDir, "checkpoints")));
        }
        StreamExecutionEnvironment env = FlinkEnvironments.create(flink);
        // A plain sink, not executeAndCollect: a collect sink keeps client state in savepoints, so a job
        // resumed with `flink run -s` could not be collected by a new client, and `flink run -d` would block.
        TrainingJob.build(env, options).sinkTo(new DiscardingSink<>()).name("epoch reports").setParallelism(1);
        env.execute("twotower train " + options.runId);
        if (env.getConfiguration().get(DeploymentOptions.ATTACHED)) {
            JsonNode r = new ObjectMapper().readTree(SnapshotStore.read(new Path(options.outputDir, "twotower_results.json")));
            System.out.printf(Locale.ROOT,
                    "Trained %d epochs (%d steps). Best Recall@%d=%.4f at epoch %d; final Recall@%d of the best model=%.4f."
                            + " Results in %s%n",
                    r.path("epochs_run").asInt(), r.path("optimizer_steps").asLong(), options.config.evalTopK(),
                    r.path("best_recall").asDouble(), r.path("best_epoch").asInt(), options.config.evalTopK(),
                    r.path("final_recall").asDouble(), options.outputDir);
        }
        return 0;
    }

    /** A path with its file system's scheme (file:// for a plain local path), as checkpoint storage needs. */
    static String qualified(Path path) throws IOException {
        return path.makeQualified(path.getFileSystem()).toUri().toString();
    }

    static TwoTowerConfig loadConfig(String location) throws IOException {
        if (location == null) {
            try (InputStream in = TrainCommand.class.getResourceAsStream(BUNDLED_CONFIG)) {
                if (in == null) {
                    throw new IOException("the bundled " + BUNDLED_CONFIG + " is missing from the jar");
                }
                return TwoTowerConfig.fromYaml(in, "bundled twotower.yaml");
            }
        }
        Path path = new Path(location);
        if (!path.getFileSystem().exists(path)) {
            throw new IllegalArgumentException("--config " + location + ": file not found");
        }
        try (FSDataInputStream in = path.getFileSystem().open(path)) {
            return TwoTowerConfig.fromYaml(in, location);
        }
    }
}
