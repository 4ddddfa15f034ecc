package io.twotower.job.plot;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYSeries;
import org.w3c.dom.Document;
import org.w3c.dom.Element;

import java.awt.image.BufferedImage;
import java.util.List;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** training_curves from a results document whose values the test chose. */
class TrainingPlotTest {
    @Test
    void drawsRecallAgainstBaselinesWithTheBestEpochAndTheDetailCharts() throws Exception {
        Figure figure = TrainingPlot.figure(PlotSamples.trainResults(true), "results.json");

        assertThat(figure.charts()).extracting(XYChart::getTitle).containsExactly(
                "Validation Recall@10 per epoch (exact, full catalog)", "Training loss", "Learning rate",
                "Training speed");
        XYChart recall = figure.charts().get(0);
        assertThat(recall.getSeriesMap().keySet()).containsExactly("Recall@10, all items (selects the best epoch)",
                "Recall@10, seen items excluded", "most popular (0.0200)", "most popular unseen (0.0450)",
                "best epoch 3");
        assertThat(recall.getStyler().getYAxisMin()).as("recall axis from 0").isEqualTo(0.0);
        // Headroom above the highest value (0.060): XChart would otherwise tick only at equally spaced data values.
        assertThat(recall.getStyler().getYAxisMax()).isCloseTo(0.060 * 1.08, within(1e-12));
        XYChart loss = figure.charts().get(1);
        assertThat(loss.getStyler().getYAxisMin()).isCloseTo(2.7 - 0.035, within(1e-12));
        assertThat(loss.getStyler().getYAxisMax()).isCloseTo(3.4 + 0.035, within(1e-12));
        assertThat(recall.getSeriesMap().get("Recall@10, seen items excluded").getYData())
                .containsExactly(0.030, 0.044, 0.060, 0.058, 0.059);
        assertThat(recall.getSeriesMap().get("Recall@10, all items (selects the best epoch)").getXData())
                .containsExactly(1, 2, 3, 4, 5);
        XYSeries best = recall.getSeriesMap().get("best epoch 3");
        assertThat(best.getXData()).containsExactly(3, 3);
        // From the axis to the highest value drawn, recalls and baselines alike.
        assertThat(best.getYData()).containsExactly(0.0, 0.060);
        assertThat(recall.getSeriesMap().get("most popular unseen (0.0450)").getYData()).containsExactly(0.045, 0.045);
        XYChart lr = figure.charts().get(2);
        assertThat(lr.getSeriesMap().get("learning rate (ReduceLROnPlateau)").getYData())
                .containsExactly(5e-4, 5e-4, 5e-4, 5e-4, 2.5e-4);
        assertThat(figure.headline()).isEqualTo("train run plot-test: best Recall@10 0.0410 at epoch 3 of 5");
        for (XYChart c : figure.charts()) {
            assertThat(c.getSeriesMap()).as(c.getTitle()).containsKey("best epoch 3");
        }
    }

    @Test
    void pngIsTheFigureSizeAndShowsTheSeriesColours() throws Exception {
        Figure figure = TrainingPlot.figure(PlotSamples.trainResults(true), "results.json");
        BufferedImage image = PlotSamples.decodePng(figure.png());
        assertThat(image.getWidth()).isEqualTo(1440);
        assertThat(image.getHeight()).isEqualTo(44 + 2 * 460);
        assertThat(PlotSamples.colours(image)).as("not blank").hasSizeGreaterThan(50)
                .contains(Charts.BLUE.getRGB() & 0xffffff, Charts.ORANGE.getRGB() & 0xffffff,
                        Charts.PURPLE.getRGB() & 0xffffff, Charts.GREEN.getRGB() & 0xffffff);
    }

    @Test
    void svgIsXmlWithTheTitlesAndSeriesNames() throws Exception {
        Figure figure = TrainingPlot.figure(PlotSamples.trainResults(true), "results.json");
        Document svg = PlotSamples.parseSvg(figure.svg());
        Element root = svg.getDocumentElement();
        assertThat(root.getLocalName()).isEqualTo("svg");
        assertThat(root.getAttribute("viewBox")).isEqualTo("0 0 1440 964");
        assertThat(svg.getElementsByTagName("title").item(0).getTextContent()).isEqualTo(figure.headline());
        String desc = svg.getElementsByTagName("desc").item(0).getTextContent();
        assertThat(desc).contains("Validation Recall@10 per epoch (exact, full catalog) (x: epoch, y: Recall@10)",
                "Recall@10, seen items excluded", "most popular unseen (0.0450)", "best epoch 3",
                "Learning rate (x: epoch, y: AdamW learning rate)", "examples/s");
        // The charts themselves: XChart draws lines, markers and its text as paths.
        assertThat(svg.getElementsByTagName("path").getLength()).isGreaterThan(100);
        assertThat(new String(figure.svg(), java.nio.charset.StandardCharsets.UTF_8)).contains("rgb(31,119,180)");
    }

    @Test
    void resultsWithoutLearningRatesHaveNoLearningRateChart() throws Exception {
        Figure figure = TrainingPlot.figure(PlotSamples.trainResults(false), "results.json");
        assertThat(figure.charts()).extracting(XYChart::getTitle).containsExactly(
                "Validation Recall@10 per epoch (exact, full catalog)", "Training loss", "Training speed");
    }

    @Test
    void resultsOfOlderRunsWithoutPerEpochMetricsOrSpeedsStillDraw() throws Exception {
        ObjectNode results = PlotSamples.trainResults(true);
        ObjectNode training = (ObjectNode) results.get("training");
        training.remove("metrics");
        training.remove("examples_per_second");
        training.putArray("val_recalls").add(0.01).add(0.02).add(0.03).add(0.025).add(0.02);
        Figure figure = TrainingPlot.figure(results, "old.json");
        assertThat(figure.charts()).extracting(XYChart::getTitle)
                .containsExactly("Validation Recall@10 per epoch (exact, full catalog)", "Training loss");
        assertThat(figure.charts().get(0).getSeriesMap().get("Recall@10, all items (selects the best epoch)")
                .getYData()).containsExactly(0.01, 0.02, 0.03, 0.025, 0.02);
        assertThat(PlotSamples.decodePng(figure.png()).getWidth()).isEqualTo(1440);
    }

    @Test
    void zeroRecallsKeepAnAxisFromZeroAndSeenExclusionCanSelect() throws Exception {
        ObjectNode results = PlotSamples.trainResults(true);
        ((ObjectNode) results.get("model_config")).put("exclude_history", true);
        results.remove("baselines");
        results.get("training").get("metrics").forEach(m -> {
            ((ObjectNode) m.get("all_items")).put("Recall@10", 0.0);
            ((ObjectNode) m.get("exclude_history")).put("Recall@10", 0.0);
        });
        Figure figure = TrainingPlot.figure(results, "results.json");
        XYChart recall = figure.charts().get(0);
        assertThat(recall.getStyler().getYAxisMin()).isEqualTo(0.0);
        assertThat(recall.getStyler().getYAxisMax()).isEqualTo(1.0);
        assertThat(recall.getSeriesMap().keySet()).contains("Recall@10, seen items excluded (selects the best epoch)")
                .noneMatch(name -> name.startsWith("most popular"));
        assertThat(figure.headline()).contains("best Recall@10 (seen items excluded) 0.0410");
        assertThat(PlotSamples.decodePng(figure.png()).getWidth()).isEqualTo(1440);
    }

    @Test
    void aDocumentWithoutLossesNamesTheSourceAndTheField() {
        ObjectNode results = PlotSamples.trainResults(true);
        ((ObjectNode) results.get("training")).remove("train_losses");
        assertThatThrownBy(() -> TrainingPlot.figure(results, "out/twotower_results.json"))
                .isInstanceOf(PlotInputException.class)
                .hasMessage("out/twotower_results.json: no training.train_losses array (is this a twotower_results.json?)");
    }

    @Test
    void nanLossesAreLeftOutNotDrawnAsZero() throws Exception {
        ObjectNode results = PlotSamples.trainResults(true);
        ((com.fasterxml.jackson.databind.node.ArrayNode) results.get("training").get("train_losses")).set(1,
                results.numberNode(Double.NaN));
        XYChart loss = TrainingPlot.figure(results, "r").charts().get(1);
        List<Double> xs = java.util.Arrays.stream(loss.getSeriesMap().get("training loss").getXData()).boxed()
                .collect(Collectors.toList());
        assertThat(xs).containsExactly(1.0, 3.0, 4.0, 5.0);
    }
}
