package io.twotower.job;

import io.twotower.job.cli.CliArgs;
import io.twotower.job.cli.CliErrors;
import io.twotower.job.cli.FlinkEnvironments;
import io.twotower.job.cli.LibtorchEnvironment;
import io.twotower.job.prepare.Holdout;
import io.twotower.job.prepare.PrepareJob;
import io.twotower.job.prepare.TieBreak;
import io.twotower.job.prepare.TrainingDataLayout;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.CloseableIterator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Set;

/**
 * The entry point of twotower-job.jar: {@code prepare}, {@code train}, {@code online}, {@code replay},
 * {@code snapshots}, {@code plot}, {@code recommend}.
 */
public final class TwoTowerCli {
    private static final Logger LOG = LoggerFactory.getLogger(TwoTowerCli.class);
    private static final String USAGE = String.join("\n",
            "Usage: twotower-job.jar <command> [options]",
            "  prepare --input <csv|csv.gz|parquet|dir> --output <dir> [--user-column userId] [--item-column movieId]",
            "          [--time-column timestamp] [--max-history 50] [--tie-break hash|input|item] [--seed 0]",
            "          [--holdout val|val+test] [--layout user-sequences|notebook] [--parts <n>]",
            "  train   --data <dir> --output <dir> [--config <yaml>] [--set key=value]... [--checkpoint-interval <ms>]",
            "  online  --bootstrap-servers <host:port> --topic <topic> --output <dir> [--init-from <snapshot>]",
            "          [--until-latest] [--window 1h] [--snapshot-every 1] [--snapshot-min-interval 0s]",
            "          [--snapshot-min-events 0] [--rank-share auto] [--regression-tolerance 0.02]",
            "          [--regression-min-events 100] [--regression-patience 3] [--group-id ..] [--dead-letter-topic ..]",
            "          [--kafka.<prop>=<value>]",
            "          [--checkpoint-interval <ms>] [--resume-from <checkpoint|latest>] [--max-history 50]",
            "          [--history-ttl none|<duration>] [--windows-per-file 1000]",
            "  replay  --input <ratings.csv> --bootstrap-servers <host:port> --topic <topic> [--rate <events/s>]",
            "  snapshots list|show|verify <uri>",
            "  plot    <train or online output folder | twotower_results.json | windows.jsonl> [--output <dir>]",
            "  recommend --snapshot <uri> (--user <id> | --history <item ids, oldest first>) [--k 10]",
            "          [--exclude-seen [--seen <prepared dir>]] [--item-names movies.csv [--title-column title]]",
            "Every command takes -Dkey=value Flink options (e.g. -Ds3.endpoint=http://127.0.0.1:9000).");

    private TwoTowerCli() {}

    public static void main(String[] args) throws Exception {
        // Before anything loads libtorch (libgomp reads OMP_WAIT_POLICY once, at load time).
        LibtorchEnvironment.applyDefaults();
        int code = run(args);
        if (code != 0) {
            System.exit(code);
        }
    }

    static int run(String[] args) throws Exception {
        if (args.length == 0 || args[0].equals("--help") || args[0].equals("-h")) {
            System.out.println(USAGE);
            return args.length == 0 ? 2 : 0;
        }
        try {
            switch (args[0]) {
                case "prepare":
                    return prepare(CliArgs.parse(args, Set.of()));
                case "train":
                    return TrainCommand.run(CliArgs.parse(args, Set.of()));
                case "online":
                    return OnlineCommand.run(CliArgs.parse(args, Set.of("until-latest")));
                case "replay":
                    return ReplayCommand.run(CliArgs.parse(args, Set.of()));
                case "snapshots":
                    return SnapshotsCommand.run(CliArgs.parse(args, Set.of()));
                case "plot":
                    return PlotCommand.run(CliArgs.parse(args, Set.of()));
                case "recommend":
                    return RecommendCommand.run(CliArgs.parse(args, RecommendCommand.FLAGS));
                default:
                    System.err.println("unknown command '" + args[0] + "'\n" + USAGE);
                    return 2;
            }
        } catch (IllegalArgumentException e) {
            return fail(args[0], e, 2);
        } catch (Exception e) {
            // Bad input or an unreachable location, found by a pre-check or inside the job: the root cause's
            // message names the file, row, column or URI. Flink's wrappers and the stack trace go to the log.
            return fail(args[0], e, 1);
        }
    }

    private static int fail(String command, Exception e, int code) {
        LOG.error("{} failed", command, e);
        System.err.println("error: " + CliErrors.message(e));
        return code;
    }

    private static int prepare(CliArgs cli) throws Exception {
        cli.rejectUnknown(Set.of("input", "output", "user-column", "item-column", "time-column", "max-history",
                "tie-break", "seed", "holdout", "layout", "parts"), "prepare");
        PrepareJob.Options options = new PrepareJob.Options();
        options.input = cli.required("input");
        options.output = cli.required("output");
        options.userColumn = cli.get("user-column", options.userColumn);
        options.itemColumn = cli.get("item-column", options.itemColumn);
        options.timeColumn = cli.get("time-column", options.timeColumn);
        options.maxHistory = cli.getInt("max-history", options.maxHistory);
        options.tieBreak = TieBreak.parse(cli.get("tie-break", options.tieBreak.optionValue()));
        options.seed = cli.getInt("seed", (int) options.seed);
        options.holdout = Holdout.parse(cli.get("holdout", options.holdout.optionValue()));
        options.layout = TrainingDataLayout.parse(cli.get("layout", options.layout.optionValue()));
        options.parts = cli.getInt("parts", options.parts);
        StreamExecutionEnvironment env = FlinkEnvironments.create(cli.flinkOptions());
        try (CloseableIterator<String> summary = PrepareJob.build(env, options).executeAndCollect("twotower prepare")) {
            while (summary.hasNext()) {
                System.out.println("prepared " + options.output + ": " + summary.next());
            }
        }
        return 0;
    }
}
