package io.twotower.job;

import io.twotower.connectors.kafka.EventFormat;
import io.twotower.job.cli.CliArgs;
import io.twotower.job.cli.FlinkEnvironments;
import io.twotower.job.cli.RetainedCheckpoints;
import io.twotower.job.trainer.TableState;
import io.twotower.job.online.OnlineJob;
import org.apache.flink.core.fs.Path;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.DeploymentOptions;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import org.apache.flink.util.TimeUtils;

import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** {@code online}: incremental training from Kafka events (until cancelled, or --until-latest). */
final class OnlineCommand {
    /** Flink's option for the checkpoint or savepoint a job starts from. */
    static final String RECOVERY_PATH = "execution.state-recovery.path";
    static final String RETENTION = "execution.checkpointing.externalized-checkpoint-retention";

    private OnlineCommand() {}

    static int run(CliArgs cli) throws Exception {
        cli.rejectUnknown(Set.of("bootstrap-servers", "topic", "output", "init-from", "group-id", "dead-letter-topic",
                "until-latest", "window", "snapshot-every", "snapshot-min-interval", "snapshot-min-events", "rank-share",
                "regression-tolerance", "regression-min-events", "regression-patience", "keep-snapshots", "run-id",
                "config", "user-field", "item-field", "time-field", "max-history", "history-ttl", "windows-per-file",
                "checkpoint-interval", "resume-from", "out-of-orderness", "idle-timeout", "kafka.*", TableState.OPTION),
                "online");
        OnlineJob.Options o = new OnlineJob.Options();
        o.bootstrapServers = cli.required("bootstrap-servers");
        o.topic = cli.required("topic");
        o.groupId = cli.get("group-id", o.groupId);
        o.deadLetterTopic = cli.get("dead-letter-topic", null);
        o.untilLatest = cli.flag("until-latest");
        cli.withPrefix("kafka.").forEach(o.kafka::setProperty);
        o.format = new EventFormat(cli.get("user-field", "user_id"), cli.get("item-field", "item_id"),
                cli.get("time-field", "timestamp"));
        o.spec.outOfOrdernessMillis = TimeUtils.parseDuration(cli.get("out-of-orderness", "5 s")).toMillis();
        o.idleTimeout = TimeUtils.parseDuration(cli.get("idle-timeout", "1 min"));
        o.spec.config = TrainCommand.loadConfig(cli.get("config", null)).withOverrides(cli.sets());
        o.spec.outputDir = cli.required("output");
        o.spec.runId = cli.get("run-id", "online-" + ZonedDateTime.now(ZoneOffset.UTC)
                .format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss", Locale.ROOT)));
        o.spec.initFrom = cli.get("init-from", null);
        o.spec.windowMillis = TimeUtils.parseDuration(cli.get("window", "1 h")).toMillis();
        if (o.spec.windowMillis <= 0) {
            throw new IllegalArgumentException("--window must be positive");
        }
        o.spec.snapshotEveryWindows = cli.getInt("snapshot-every", 1);
        if (o.spec.snapshotEveryWindows < 1) {
            throw new IllegalArgumentException("--snapshot-every must be at least 1 (windows per publication)");
        }
        o.spec.snapshotMinIntervalMillis = TimeUtils.parseDuration(cli.get("snapshot-min-interval", "0 s")).toMillis();
        o.spec.snapshotMinEvents = cli.getInt("snapshot-min-events", 0);
        String share = cli.get("rank-share", "auto");
        if (!share.equals("auto")) {
            try {
                o.spec.rankShare = Double.parseDouble(share);
            } catch (NumberFormatException e) {
                o.spec.rankShare = Double.NaN;
            }
            if (!(o.spec.rankShare > 0 && o.spec.rankShare <= 1)) {
                throw new IllegalArgumentException("--rank-share must be auto or a share in (0, 1], got " + share);
            }
        }
        if (o.spec.snapshotMinEvents < 0) {
            throw new IllegalArgumentException("--snapshot-min-events must be >= 0");
        }
        o.spec.regressionTolerance = Double.parseDouble(cli.get("regression-tolerance", "0.02"));
        o.spec.regressionMinEvents = cli.getInt("regression-min-events", 100);
        o.spec.regressionPatience = cli.getInt("regression-patience", 3);
        if (o.spec.regressionPatience < 1) {
            throw new IllegalArgumentException("--regression-patience must be at least 1 (windows in a row)");
        }
        o.spec.keepSnapshots = cli.getInt("keep-snapshots", 5);
        o.spec.maxHistory = cli.getInt("max-history", 50);
        if (o.spec.maxHistory < 1) {
            throw new IllegalArgumentException("--max-history must be at least 1 (items kept per user)");
        }
        String ttl = cli.get("history-ttl", "none");
        o.spec.historyTtlMillis = ttl.equals("none") ? 0 : TimeUtils.parseDuration(ttl).toMillis();
        if (o.spec.historyTtlMillis < 0) {
            throw new IllegalArgumentException("--history-ttl must be a duration (e.g. 30 d) or none, got " + ttl);
        }
        o.tableState = cli.get(TableState.OPTION, o.tableState);
        o.spec.windowsPerFile = cli.getInt("windows-per-file", o.spec.windowsPerFile);
        if (o.spec.windowsPerFile < 1) {
            throw new IllegalArgumentException("--windows-per-file must be at least 1");
        }

        Map<String, String> flink = new LinkedHashMap<>(cli.flinkOptions());
        int interval = cli.getInt("checkpoint-interval", 0);
        if (interval > 0) {
            flink.put("execution.checkpointing.interval", interval + " ms");
            Configuration cluster = FlinkEnvironments.configuration(Map.of());
            if (!cluster.containsKey("execution.checkpointing.dir")) {
                flink.putIfAbsent("execution.checkpointing.dir",
                        TrainCommand.qualified(new Path(o.spec.outputDir, "checkpoints")));
            }
            if (!cluster.containsKey(RETENTION)) {
                // A run that is cancelled (or whose process is stopped) keeps its last checkpoint, so --resume-from
                // latest can pick it up: online has no end to wait for, and a stop is how it is upgraded.
                flink.putIfAbsent(RETENTION, "RETAIN_ON_CANCELLATION");
            }
        }
        String resumeFrom = cli.get("resume-from", null);
        if (resumeFrom != null) {
            if (flink.containsKey(RECOVERY_PATH)) {
                throw new IllegalArgumentException("--resume-from and -D" + RECOVERY_PATH + " both name the state to "
                        + "resume from: give one");
            }
            String location = resumeFrom;
            if (resumeFrom.equals("latest")) {
                Map<String, String> effective = new LinkedHashMap<>(FlinkEnvironments.configuration(Map.of()).toMap());
                effective.putAll(flink);
                location = effective.getOrDefault("execution.checkpointing.dir",
                        TrainCommand.qualified(new Path(o.spec.outputDir, "checkpoints")));
            }
            String checkpoint = RetainedCheckpoints.resolve(location);
            System.out.printf(Locale.ROOT, "Resuming from %s%n", checkpoint);
            flink.put(RECOVERY_PATH, checkpoint);
        }
        StreamExecutionEnvironment env = FlinkEnvironments.create(flink);
        // A plain sink at parallelism 1 (it joins the trainer's slot group), so savepoints carry no client state.
        OnlineJob.build(env, o).sinkTo(new DiscardingSink<>()).name("window reports").setParallelism(1);
        env.execute("twotower online " + o.spec.runId);
        if (env.getConfiguration().get(DeploymentOptions.ATTACHED)) {
            System.out.printf(Locale.ROOT, "Online run %s ended; totals in %s/online_results.json%n", o.spec.runId,
                    o.spec.outputDir);
        }
        return 0;
    }
}
