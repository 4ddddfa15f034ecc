package io.twotower.job.plot;

import io.twotower.job.online.WindowReport;
import org.junit.jupiter.api.Test;
import org.knowm.xchart.XYChart;
import org.w3c.dom.Document;

import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** online_curves from a windows.jsonl whose values the test chose. */
class OnlinePlotTest {
    @Test
    void parsesTheJobsLinesIncludingNanLosses() throws Exception {
        List<WindowReport> windows = OnlinePlot.parse(PlotSamples.windowLines(), "windows.jsonl");
        assertThat(windows).hasSize(6);
        assertThat(windows.get(0).loss).isNaN();
        assertThat(windows.get(3).regression).isTrue();
        assertThat(windows.get(5).windowEnd).isEqualTo(PlotSamples.START + 6 * PlotSamples.HOUR);
    }

    @Test
    void drawsRecallVolumeVocabularyAndSnapshotsOverEventTime() throws Exception {
        Figure figure = OnlinePlot.figure(OnlinePlot.parse(PlotSamples.windowLines(), "windows.jsonl"), 10);
        Map<String, XYChart> charts = figure.charts().stream()
                .collect(Collectors.toMap(XYChart::getTitle, c -> c));
        assertThat(charts.keySet()).containsExactlyInAnyOrder("Prequential Recall@10 per window", "Events per window",
                "Vocabulary grown since the start", "Snapshots (cumulative)");

        XYChart recall = charts.get("Prequential Recall@10 per window");
        assertThat(recall.getStyler().getYAxisMin()).isEqualTo(0.0);
        assertThat(recall.getSeriesMap().get("all items").getYData())
                .containsExactly(new double[] {0.05, 0.06, 0.07, 0.02, 0.09, 0.10}, within(1e-12));
        // x is the window end in epoch milliseconds
        assertThat(recall.getSeriesMap().get("all items").getXData()[0])
                .isEqualTo((double) (PlotSamples.START + PlotSamples.HOUR));
        assertThat(recall.getSeriesMap().get("regression (LATEST kept)").getXData())
                .containsExactly((double) (PlotSamples.START + 4 * PlotSamples.HOUR));

        XYChart vocabulary = charts.get("Vocabulary grown since the start");
        assertThat(vocabulary.getSeriesMap().get("users added").getYData()).containsExactly(3, 6, 9, 12, 15, 18);
        assertThat(vocabulary.getSeriesMap().get("items added").getYData()).containsExactly(7, 14, 21, 28, 35, 42);

        // Snapshots at windows 2, 4, 6; window 4's is a regression, so LATEST did not move to it.
        XYChart snapshots = charts.get("Snapshots (cumulative)");
        assertThat(snapshots.getSeriesMap().get("published (LATEST moved)").getYData())
                .containsExactly(0, 1, 1, 1, 1, 2);
        assertThat(snapshots.getSeriesMap().get("rejected: regression").getYData()).containsExactly(0, 0, 0, 1, 1, 1);

        XYChart volume = charts.get("Events per window");
        assertThat(volume.getSeriesMap().get("events").getYData()).containsExactly(100, 200, 300, 400, 500, 600);
        assertThat(volume.getSeriesMap().get("events trained").getYData()).containsExactly(99, 199, 299, 399, 499, 599);
        for (XYChart c : figure.charts()) {
            assertThat(c.getStyler().getYAxisMin()).as(c.getTitle()).isEqualTo(0.0);
        }
        // 2100 events, hits rounded per window: 5+12+21+8+45+60 = 151
        assertThat(figure.headline()).isEqualTo("online: 6 windows of 1 h, 2023-11-14 to 2023-11-15; "
                + "prequential Recall@10 0.0719 (seen items excluded 0.0919), 2100 events ranked");
    }

    @Test
    void windowsThatRankedNothingHaveNoRecallPoint() throws Exception {
        List<WindowReport> windows = OnlinePlot.parse(PlotSamples.windowLines(), "windows.jsonl");
        // As --rank-share 0.5 would: window 2 ranked no batch, the others half of their events.
        for (WindowReport w : windows) {
            w.ranked = w.events / 2;
        }
        windows.get(1).ranked = 0;
        Figure figure = OnlinePlot.figure(windows, 10);
        Map<String, XYChart> charts = figure.charts().stream()
                .collect(Collectors.toMap(XYChart::getTitle, c -> c));
        XYChart recall = charts.get("Prequential Recall@10 per window");
        assertThat(recall.getSeriesMap().get("all items").getXData()).hasSize(5)
                .doesNotContain((double) (PlotSamples.START + 2 * PlotSamples.HOUR));
        assertThat(charts.get("Events per window").getSeriesMap().get("ranked before training (--rank-share)").getYData())
                .containsExactly(50, 0, 150, 200, 250, 300);
    }

    @Test
    void pngAndSvgShowTheCharts() throws Exception {
        Figure figure = OnlinePlot.figure(OnlinePlot.parse(PlotSamples.windowLines(), "windows.jsonl"), 10);
        BufferedImage image = PlotSamples.decodePng(figure.png());
        assertThat(image.getWidth()).isEqualTo(1440);
        assertThat(image.getHeight()).isEqualTo(964);
        assertThat(PlotSamples.colours(image)).hasSizeGreaterThan(50)
                .contains(Charts.BLUE.getRGB() & 0xffffff, Charts.RED.getRGB() & 0xffffff);
        Document svg = PlotSamples.parseSvg(figure.svg());
        assertThat(svg.getElementsByTagName("desc").item(0).getTextContent()).contains(
                "Prequential Recall@10 per window (x: window end (UTC), y: Recall@10 (scored before training)): "
                        + "all items; seen items excluded; regression (LATEST kept)",
                "published (LATEST moved); rejected: regression", "users added; items added");
    }

    @Test
    void oneWindowStillDraws() throws Exception {
        Figure figure = OnlinePlot.figure(OnlinePlot.parse(PlotSamples.windowLines().subList(0, 1), "w"), 0);
        assertThat(figure.charts().get(0).getTitle()).isEqualTo("Prequential Recall@K per window");
        assertThat(PlotSamples.decodePng(figure.png()).getHeight()).isEqualTo(964);
    }

    @Test
    void aMalformedLineIsNamedByFileAndLine() throws Exception {
        List<String> lines = new ArrayList<>(PlotSamples.windowLines());
        lines.set(2, "{\"windowStart\": 1, \"windowEnd\": ");
        assertThatThrownBy(() -> OnlinePlot.parse(lines, "out/windows.jsonl"))
                .isInstanceOf(PlotInputException.class)
                .hasMessageStartingWith("out/windows.jsonl: line 3: not JSON (");
        lines.set(2, "[1, 2]");
        assertThatThrownBy(() -> OnlinePlot.parse(lines, "out/windows.jsonl"))
                .hasMessage("out/windows.jsonl: line 3: not a window report (a JSON object with a numeric windowEnd)");
        lines.set(2, "{\"windowEnd\": 5, \"events\": \"many\"}");
        assertThatThrownBy(() -> OnlinePlot.parse(lines, "out/windows.jsonl"))
                .hasMessageStartingWith("out/windows.jsonl: line 3: not a window report (");
    }

    @Test
    void anEmptyFileHasNoWindows() {
        assertThatThrownBy(() -> OnlinePlot.parse(List.of("", ""), "w.jsonl"))
                .isInstanceOf(PlotInputException.class)
                .hasMessage("w.jsonl: no windows (the online job writes one line per closed window)");
    }
}
