package io.twotower.job;

import io.twotower.job.cli.CliArgs;
import io.twotower.job.cli.FlinkEnvironments;
import io.twotower.job.plot.OnlinePlot;
import io.twotower.job.plot.PlotFiles;
import io.twotower.job.plot.PlotInputException;
import io.twotower.job.plot.TrainingPlot;
import org.apache.flink.core.fs.FileStatus;
import org.apache.flink.core.fs.Path;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * {@code plot <folder|file> [--output <dir>]}: redraws the curves of a run. A train output folder (or its
 * twotower_results.json) gives training_curves.png/.svg, an online output folder (or its windows.jsonl) gives
 * online_curves.png/.svg; by default beside the input.
 */
final class PlotCommand {
    static final String USAGE = "usage: plot <train or online output folder | twotower_results.json | windows.jsonl>"
            + " [--output <dir>]";

    private PlotCommand() {}

    static int run(CliArgs cli) throws Exception {
        cli.rejectUnknown(Set.of("output"), "plot");
        List<String> words = cli.positional();
        if (words.size() != 2) {
            throw new IllegalArgumentException(USAGE);
        }
        FlinkEnvironments.initializeFileSystems(cli.flinkOptions());
        Path input = new Path(words.get(1));
        FileStatus status = status(input);
        Path folder = status.isDir() ? input : input.getParent();
        Path output = cli.get("output", null) == null ? folder : new Path(cli.get("output", null));
        List<Path> written = new ArrayList<>();
        if (status.isDir()) {
            Path results = new Path(input, TrainingPlot.RESULTS_FILE);
            Path windows = new Path(input, OnlinePlot.WINDOWS_FILE);
            boolean train = exists(results);
            boolean online = exists(windows);
            if (!train && !online) {
                throw new PlotInputException(input + ": holds neither " + TrainingPlot.RESULTS_FILE + " (train) nor "
                        + OnlinePlot.WINDOWS_FILE + " (online)");
            }
            if (train) {
                written.addAll(TrainingPlot.draw(results, output));
            }
            if (online) {
                written.addAll(OnlinePlot.draw(windows, output));
            }
        } else if (input.getName().endsWith(".jsonl")) {
            written.addAll(OnlinePlot.draw(input, output));
        } else {
            written.addAll(TrainingPlot.draw(input, output));
        }
        written.forEach(p -> System.out.println("wrote " + p));
        return 0;
    }

    private static FileStatus status(Path path) throws IOException {
        if (!exists(path)) {
            throw new PlotInputException(path + ": not found");
        }
        return path.getFileSystem().getFileStatus(path);
    }

    private static boolean exists(Path path) throws IOException {
        return PlotFiles.exists(path);
    }
}
