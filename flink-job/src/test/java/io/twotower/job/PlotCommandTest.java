package io.twotower.job;

import io.twotower.job.plot.PlotSamples;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code plot}: redraws from a train or online output folder or the file itself; bad input is one error line. */
class PlotCommandTest {
    @Test
    void drawsTheTrainCurvesOfAnOutputFolderBesideItsResults(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("twotower_results.json"), PlotSamples.trainResultsText());
        CliRunner run = CliRunner.run("plot", dir.toString());
        assertThat(run.exitCode).as(run.err).isZero();
        assertThat(run.out).contains("wrote " + dir.resolve("training_curves.png"),
                "wrote " + dir.resolve("training_curves.svg"));
        assertThat(PlotSamples.decodePng(Files.readAllBytes(dir.resolve("training_curves.png"))).getWidth())
                .isEqualTo(1440);
        assertThat(PlotSamples.parseSvg(Files.readAllBytes(dir.resolve("training_curves.svg")))
                .getElementsByTagName("title").item(0).getTextContent()).startsWith("train run plot-test");
    }

    @Test
    void drawsTheOnlineCurvesOfAWindowsFileIntoAnotherFolder(@TempDir Path dir) throws Exception {
        Path windows = dir.resolve("windows.jsonl");
        Files.write(windows, PlotSamples.windowLines());
        Path elsewhere = dir.resolve("plots");
        CliRunner run = CliRunner.run("plot", windows.toString(), "--output", elsewhere.toString());
        assertThat(run.exitCode).as(run.err).isZero();
        assertThat(PlotSamples.decodePng(Files.readAllBytes(elsewhere.resolve("online_curves.png"))).getHeight())
                .isEqualTo(964);
        assertThat(elsewhere.resolve("online_curves.svg")).exists();
        assertThat(dir.resolve("online_curves.png")).doesNotExist();
    }

    @Test
    void anOutputFolderWithBothFilesGetsBothFigures(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("twotower_results.json"), PlotSamples.trainResultsText());
        Files.write(dir.resolve("windows.jsonl"), PlotSamples.windowLines());
        assertThat(CliRunner.run("plot", dir.toString()).exitCode).isZero();
        assertThat(dir.resolve("training_curves.png")).exists();
        assertThat(dir.resolve("online_curves.png")).exists();
    }

    @Test
    void aMalformedWindowLineIsOneErrorLineNamingTheFileAndLine(@TempDir Path dir) throws Exception {
        List<String> lines = new ArrayList<>(PlotSamples.windowLines());
        lines.set(1, "{\"windowEnd\": 17,");
        Path windows = dir.resolve("windows.jsonl");
        Files.write(windows, lines);
        CliRunner run = CliRunner.run("plot", dir.toString());
        assertThat(run.exitCode).isEqualTo(1);
        assertThat(run.err.strip()).startsWith("error: " + windows + ": line 2: not JSON (").doesNotContain("\n");
        assertThat(dir.resolve("online_curves.png")).doesNotExist();
    }

    @Test
    void malformedResultsNameTheLine(@TempDir Path dir) throws Exception {
        Path results = dir.resolve("twotower_results.json");
        Files.writeString(results, "{\n  \"training\": {\n    \"train_losses\": [1.0,,]\n  }\n}\n", StandardCharsets.UTF_8);
        CliRunner run = CliRunner.run("plot", results.toString());
        assertThat(run.exitCode).isEqualTo(1);
        assertThat(run.err.strip()).startsWith("error: " + results + ": line 3: not JSON (");
    }

    @Test
    void missingInputAndEmptyFoldersAreErrorsAndBadUsageExitsTwo(@TempDir Path dir) throws Exception {
        CliRunner missing = CliRunner.run("plot", dir.resolve("nope").toString());
        assertThat(missing.exitCode).isEqualTo(1);
        assertThat(missing.err.strip()).isEqualTo("error: " + dir.resolve("nope") + ": not found");

        CliRunner empty = CliRunner.run("plot", dir.toString());
        assertThat(empty.exitCode).isEqualTo(1);
        assertThat(empty.err.strip()).isEqualTo("error: " + dir
                + ": holds neither twotower_results.json (train) nor windows.jsonl (online)");

        CliRunner usage = CliRunner.run("plot");
        assertThat(usage.exitCode).isEqualTo(2);
        assertThat(usage.err).contains("usage: plot <train or online output folder");
        assertThat(CliRunner.run("plot", dir.toString(), "--out", "x").exitCode).isEqualTo(2);
    }
}
