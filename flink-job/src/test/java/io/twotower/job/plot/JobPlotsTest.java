package io.twotower.job.plot;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.flink.core.fs.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/** A job's plots: drawn beside its results, refreshed sparingly, and never a reason for the job to fail. */
class JobPlotsTest {
    @Test
    void trainingCurvesAreWrittenBesideTheResults(@TempDir java.nio.file.Path dir) throws Exception {
        JobPlots.writeTrainingCurves(PlotSamples.trainResults(true), new Path(dir.toUri()));
        assertThat(PlotSamples.decodePng(Files.readAllBytes(dir.resolve("training_curves.png"))).getWidth())
                .isEqualTo(1440);
        assertThat(dir.resolve("training_curves.svg")).exists();
    }

    @Test
    void aPlotThatCannotBeDrawnOrWrittenDoesNotThrow(@TempDir java.nio.file.Path dir) throws Exception {
        ObjectNode broken = PlotSamples.trainResults(true);
        broken.remove("training");
        JobPlots.writeTrainingCurves(broken, new Path(dir.toUri()));
        assertThat(dir.resolve("training_curves.png")).doesNotExist();

        // The output "folder" is a file: writing fails.
        java.nio.file.Path notAFolder = Files.writeString(dir.resolve("file"), "x");
        JobPlots.writeTrainingCurves(PlotSamples.trainResults(true), new Path(notAFolder.toUri()));
        JobPlots.OnlineCurves online = new JobPlots.OnlineCurves(new Path(notAFolder.toUri()), 10);
        online.windowClosed(PlotSamples.windowLines());
        online.finished(List.of("not json"));
        assertThat(Files.readString(notAFolder)).isEqualTo("x");
    }

    @Test
    void onlineCurvesRedrawAtTheFirstWindowThenAtMostOncePerMinuteAndAlwaysAtTheEnd(@TempDir java.nio.file.Path dir)
            throws Exception {
        AtomicLong now = new AtomicLong(1_000);
        JobPlots.OnlineCurves curves = new JobPlots.OnlineCurves(new Path(dir.toUri()), 10, now::get);
        List<String> lines = PlotSamples.windowLines();
        java.nio.file.Path png = dir.resolve("online_curves.png");

        curves.windowClosed(lines.subList(0, 1));
        assertThat(png).exists();
        Files.delete(png);
        now.addAndGet(JobPlots.ONLINE_REFRESH_NANOS - 1);
        curves.windowClosed(lines.subList(0, 2));
        assertThat(png).as("within a minute of the last drawing").doesNotExist();
        now.addAndGet(1);
        curves.windowClosed(lines.subList(0, 3));
        assertThat(png).exists();
        Files.delete(png);
        curves.finished(lines);
        assertThat(png).as("the end always redraws").exists();
    }

    @Test
    void aSlowDrawingWaitsFiftyTimesAsLongBeforeTheNext(@TempDir java.nio.file.Path dir) throws Exception {
        // Each reading of the clock advances it by 2 s: every drawing "takes" 2 s, so the next waits 100 s.
        AtomicLong now = new AtomicLong();
        JobPlots.OnlineCurves curves = new JobPlots.OnlineCurves(new Path(dir.toUri()), 10,
                () -> now.addAndGet(2_000_000_000L));
        List<String> lines = PlotSamples.windowLines();
        java.nio.file.Path png = dir.resolve("online_curves.png");
        curves.windowClosed(lines);
        assertThat(png).exists();
        Files.delete(png);
        now.addAndGet(90_000_000_000L);
        curves.windowClosed(lines);
        assertThat(png).as("90 s after a 2 s drawing").doesNotExist();
        now.addAndGet(10_000_000_000L);
        curves.windowClosed(lines);
        assertThat(png).as("100 s after").exists();
        assertThat(Files.readString(dir.resolve("online_curves.svg"))).contains("<title>online: 6 windows of 1 h");
    }
}
