package io.twotower.job.plot;

import com.fasterxml.jackson.databind.JsonNode;
import io.twotower.job.online.WindowReport;
import org.apache.flink.core.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.function.LongSupplier;

/**
 * The plots a running job writes beside its results. Never fatal: a plot is a view of files the job has already
 * written (and {@code plot} can redraw it), so a failure to draw one (no fonts on a bare JVM, a full disk) is
 * logged and the job goes on.
 */
public final class JobPlots {
    private static final Logger LOG = LoggerFactory.getLogger(JobPlots.class);
    /** How often at most a running online job redraws its curves (drawing ~300 windows takes ~1 s). */
    static final long ONLINE_REFRESH_NANOS = 60_000_000_000L;
    /**
     * And never more than 2% of the trainer's time: the wait after a drawing is at least 50 times its length, so a
     * run with thousands of windows redraws less often instead of slowing training.
     */
    static final int ONLINE_REFRESH_COST_FACTOR = 50;

    private JobPlots() {}

    /** training_curves.png and .svg from the results document the train job has just written. */
    public static void writeTrainingCurves(JsonNode results, Path outputDir) {
        try {
            List<Path> written = PlotFiles.write(TrainingPlot.figure(results, TrainingPlot.RESULTS_FILE), outputDir,
                    TrainingPlot.FILE_NAME);
            LOG.info("Wrote {}", written);
        } catch (Throwable t) {
            failed(TrainingPlot.FILE_NAME, t);
        }
    }

    private static void failed(String what, Throwable t) {
        if (t instanceof OutOfMemoryError) {
            throw (OutOfMemoryError) t;
        }
        // Headless JVMs without fontconfig fail in Java2D with an Error, not an exception: catch those too.
        LOG.warn("Could not draw {} (the job goes on; `plot <output>` redraws it): {}", what, t.toString(), t);
    }

    /** online_curves.png and .svg of a running online job, redrawn as windows close. Not thread-safe. */
    public static final class OnlineCurves {
        private final Path outputDir;
        private final int k;
        private final LongSupplier nanoClock;
        private long lastDrawnNanos;
        private long waitNanos;
        private boolean drawn;
        private boolean failedBefore;

        /** Curves of Recall@{@code k} into {@code outputDir}. */
        public OnlineCurves(Path outputDir, int k) {
            this(outputDir, k, System::nanoTime);
        }

        OnlineCurves(Path outputDir, int k, LongSupplier nanoClock) {
            this.outputDir = outputDir;
            this.k = k;
            this.nanoClock = nanoClock;
        }

        /** After a window closed: redraws at the first window, then at most once per minute (or rarer, see above). */
        public void windowClosed(List<String> windowLines) {
            if (!drawn || nanoClock.getAsLong() - lastDrawnNanos >= waitNanos) {
                draw(windowLines);
            }
        }

        /** At the end of the input: always redraws, so the final curves show every window. */
        public void finished(List<String> windowLines) {
            if (!windowLines.isEmpty()) {
                draw(windowLines);
            }
        }

        private void draw(List<String> windowLines) {
            drawn = true;
            long start = nanoClock.getAsLong();
            try {
                List<WindowReport> windows = OnlinePlot.parse(windowLines, OnlinePlot.WINDOWS_FILE);
                PlotFiles.write(OnlinePlot.figure(windows, k), outputDir, OnlinePlot.FILE_NAME);
            } catch (Throwable t) {
                if (failedBefore && !(t instanceof OutOfMemoryError)) {
                    // The stack trace was logged the first time; once a minute is enough to say it still fails.
                    LOG.warn("Could not draw {} again: {}", OnlinePlot.FILE_NAME, t.toString());
                } else {
                    failed(OnlinePlot.FILE_NAME, t);
                }
                failedBefore = true;
            } finally {
                lastDrawnNanos = nanoClock.getAsLong();
                waitNanos = Math.max(ONLINE_REFRESH_NANOS, ONLINE_REFRESH_COST_FACTOR * (lastDrawnNanos - start));
            }
        }
    }
}
