package io.twotower.job;

import io.twotower.job.cli.CliArgs;
import io.twotower.job.cli.FlinkEnvironments;
import io.twotower.job.train.EpochReport;
import io.twotower.job.train.TrainingJob;
import io.twotower.model.TwoTowerConfig;
import org.apache.flink.core.fs.FSDataInputStream;
import org.apache.flink.core.fs.Path;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.CloseableIterator;

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
        cli.rejectUnknown(Set.of("data", "output", "config", "run-id", "keep-snapshots", "checkpoint-interval"), "train");
        TrainingJob.Options options = new TrainingJob.Options();
        options.dataDir = cli.required("data");
        options.outputDir = cli.required("output");
        options.config = loadConfig(cli.get("config", null)).withOverrides(cli.sets());
        options.runId = cli.get("run-id", "train-" + ZonedDateTime.now(ZoneOffset.UTC)
                .format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss", Locale.ROOT)));
        options.keepSnapshots = cli.getInt("keep-snapshots", options.keepSnapshots);

        Map<String, String> flink = new LinkedHashMap<>(cli.flinkOptions());
        int interval = cli.getInt("checkpoint-interval", 0);
        if (interval > 0) {
            flink.put("execution.checkpointing.interval", interval + " ms");
        }
        if (flink.containsKey("execution.checkpointing.interval")
                || FlinkEnvironments.configuration(Map.of()).containsKey("execution.checkpointing.interval")) {
            // The trainer's state (weights, moments) is far larger than the JobManager's in-memory limit.
            flink.putIfAbsent("execution.checkpointing.dir", new Path(options.outputDir, "checkpoints").toUri().toString());
        }
        StreamExecutionEnvironment env = FlinkEnvironments.create(flink);
        try (CloseableIterator<EpochReport> reports =
                TrainingJob.build(env, options).executeAndCollect("twotower train " + options.runId)) {
            while (reports.hasNext()) {
                EpochReport r = reports.next();
                if (r.last) {
                    System.out.printf(Locale.ROOT,
                            "Trained %d epochs (%d examples, %d steps). Best Recall@%d=%.4f; final Recall@%d of the best"
                                    + " model=%.4f. Results in %s%n",
                            r.epoch, r.examples, r.steps, options.config.evalTopK(), r.recall,
                            options.config.evalTopK(), r.finalRecall, options.outputDir);
                }
            }
        }
        return 0;
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
