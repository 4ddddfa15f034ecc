package io.twotower.job.plot;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.flink.core.fs.Path;
import org.knowm.xchart.XYChart;

import java.awt.Color;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.MathContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The curves of a {@code train} run, drawn from its {@code twotower_results.json}: loss, Recall@K over all items
 * and with seen items excluded against the popularity baselines, the learning rate and the speed per epoch,
 * with the best epoch marked.
 */
public final class TrainingPlot {
    /** The results file a train run writes, and the base name of its curves ({@code .png}, {@code .svg}). */
    public static final String RESULTS_FILE = "twotower_results.json";
    public static final String FILE_NAME = "training_curves";
    private static final ObjectMapper JSON = new ObjectMapper();

    private TrainingPlot() {}

    /** Draws {@code resultsFile} into {@code outputDir}/training_curves.png and .svg; returns the files written. */
    public static List<Path> draw(Path resultsFile, Path outputDir) throws IOException {
        JsonNode results;
        try {
            results = JSON.readTree(PlotFiles.read(resultsFile));
        } catch (JsonProcessingException e) {
            throw new PlotInputException(resultsFile + ": line " + e.getLocation().getLineNr() + ": not JSON ("
                    + e.getOriginalMessage() + ")");
        }
        if (results == null || !results.isObject()) {
            throw new PlotInputException(resultsFile + ": not a JSON object");
        }
        return PlotFiles.write(figure(results, resultsFile.toString()), outputDir, FILE_NAME);
    }

    /**
     * The figure of one results document; {@code source} names it in errors. Fails, naming the field, when the
     * document lacks the per-epoch losses; figures that older runs did not record (learning rate) are left out.
     */
    public static Figure figure(JsonNode results, String source) throws PlotInputException {
        JsonNode training = results.path("training");
        JsonNode losses = training.path("train_losses");
        if (!losses.isArray()) {
            throw new PlotInputException(source + ": no training.train_losses array (is this a twotower_results.json?)");
        }
        int epochs = losses.size();
        if (epochs == 0) {
            throw new PlotInputException(source + ": training.train_losses is empty (no epoch finished)");
        }
        JsonNode config = results.path("model_config");
        int k = config.path("eval_topk").asInt(10);
        String recallKey = "Recall@" + k;
        boolean excludeHistory = config.path("exclude_history").asBoolean(false);
        int bestEpoch = results.path("best_epoch").asInt(0);
        JsonNode metrics = training.path("metrics");

        List<Integer> x = new ArrayList<>();
        for (int e = 1; e <= epochs; e++) {
            x.add(e);
        }
        List<Double> recallAll = new ArrayList<>();
        List<Double> recallUnseen = new ArrayList<>();
        List<Double> learningRates = new ArrayList<>();
        for (int e = 0; e < epochs; e++) {
            JsonNode m = metrics.path(e);
            recallAll.add(number(m.path("all_items").path(recallKey)));
            recallUnseen.add(number(m.path("exclude_history").path(recallKey)));
            learningRates.add(number(m.path("learning_rate")));
        }
        if (!metrics.isArray()) {
            // Results written before per-epoch metrics: val_recalls is the selection metric.
            List<Double> selected = numbers(training.path("val_recalls"), epochs);
            (excludeHistory ? recallUnseen : recallAll).clear();
            (excludeHistory ? recallUnseen : recallAll).addAll(selected);
        }

        XYChart recall = Charts.xy("Validation " + recallKey + " per epoch (exact, full catalog)", "epoch", recallKey);
        String selects = " (selects the best epoch)";
        addFinite(recall, recallKey + ", all items" + (excludeHistory ? "" : selects), x, recallAll, Charts.BLUE);
        addFinite(recall, recallKey + ", seen items excluded" + (excludeHistory ? selects : ""), x, recallUnseen,
                Charts.ORANGE);
        JsonNode baselines = results.path("baselines");
        baseline(recall, baselines.path("most_popular"), "most popular", epochs, Charts.BLUE);
        baseline(recall, baselines.path("most_popular_excluding_history"), "most popular unseen", epochs, Charts.ORANGE);
        List<Double> all = new ArrayList<>(recallAll);
        all.addAll(recallUnseen);
        all.add(number(baselines.path("most_popular")));
        all.add(number(baselines.path("most_popular_excluding_history")));
        markBest(recall, bestEpoch, epochs, List.of(0.0, max(all)));
        Charts.zeroBased(recall, max(all));
        recall.getStyler().setYAxisDecimalPattern("0.0##");

        List<XYChart> details = new ArrayList<>();
        XYChart loss = Charts.xy("Training loss", "epoch", "mean loss per micro-batch");
        List<Double> lossValues = numbers(losses, epochs);
        addFinite(loss, "training loss", x, lossValues, Charts.BLUE);
        markBest(loss, bestEpoch, epochs, lossValues);
        Charts.padded(loss, min(lossValues), max(lossValues));
        loss.getStyler().setYAxisDecimalPattern("0.0##");
        details.add(loss);

        if (finiteCount(learningRates) > 0) {
            // Runs before the learning rate was recorded per epoch have no such panel.
            XYChart lr = Charts.xy("Learning rate", "epoch", "AdamW learning rate");
            addFinite(lr, "learning rate (ReduceLROnPlateau)", x, learningRates, Charts.PURPLE);
            Charts.zeroBased(lr, max(learningRates));
            lr.getStyler().setyAxisTickLabelsFormattingFunction(TrainingPlot::learningRateTick);
            markBest(lr, bestEpoch, epochs, List.of(0.0, max(learningRates)));
            details.add(lr);
        }

        XYChart speed = Charts.xy("Training speed", "epoch", "examples per second");
        List<Double> speeds = numbers(training.path("examples_per_second"), epochs);
        addFinite(speed, "examples/s", x, speeds, Charts.GREEN);
        Charts.zeroBased(speed, max(speeds));
        markBest(speed, bestEpoch, epochs, List.of(0.0, max(speeds)));
        details.add(speed);

        // A figure a run did not record (examples/s in older results) has no chart; the loss chart always stays.
        details.removeIf(chart -> chart != loss && chart.getSeriesMap().isEmpty());
        for (XYChart chart : details) {
            epochAxis(chart, epochs);
        }
        epochAxis(recall, epochs);
        return new Figure(headline(results, recallKey, excludeHistory, bestEpoch, epochs),
                List.of(List.of(recall), details));
    }

    private static String headline(JsonNode results, String recallKey, boolean excludeHistory, int bestEpoch,
            int epochs) {
        String run = results.path("run_id").asText("");
        String best = results.path("best_recall").isNumber()
                ? String.format(Locale.ROOT, "best %s%s %.4f at epoch %d of %d", recallKey,
                        excludeHistory ? " (seen items excluded)" : "", results.path("best_recall").asDouble(),
                        bestEpoch, epochs)
                : epochs + " epochs";
        String stopped = results.path("stopped_early").asBoolean(false) ? ", stopped early" : "";
        return "train" + (run.isEmpty() ? "" : " run " + run) + ": " + best + stopped;
    }

    /** The x axis spans the epochs (a single epoch sits in the middle of 0..2). */
    private static double xMin(int epochs) {
        return epochs == 1 ? 0 : 1;
    }

    private static double xMax(int epochs) {
        return epochs == 1 ? 2 : epochs;
    }

    /** Whole epochs on the x axis, from the first to the last. */
    private static void epochAxis(XYChart chart, int epochs) {
        // XChart measures the labels of both ends to space the ticks: they must not be blank.
        chart.getStyler().setxAxisTickLabelsFormattingFunction(Charts::wholeNumber);
        chart.getStyler().setXAxisMin(xMin(epochs));
        chart.getStyler().setXAxisMax(xMax(epochs));
    }

    /** The finite points of a series (a NaN loss of an empty epoch breaks nothing); nothing if none is finite. */
    private static void addFinite(XYChart chart, String name, List<Integer> x, List<Double> y, Color color) {
        List<Integer> xs = new ArrayList<>();
        List<Double> ys = new ArrayList<>();
        for (int i = 0; i < y.size(); i++) {
            if (Double.isFinite(y.get(i))) {
                xs.add(x.get(i));
                ys.add(y.get(i));
            }
        }
        if (!xs.isEmpty()) {
            Charts.line(chart, name, xs, ys, color);
        }
    }

    private static void baseline(XYChart chart, JsonNode value, String name, int epochs, Color color) {
        if (value.isNumber()) {
            double v = value.asDouble();
            Charts.dashed(chart, String.format(Locale.ROOT, "%s (%.4f)", name, v),
                    List.of(xMin(epochs), xMax(epochs)), List.of(v, v), color);
        }
    }

    /** The best epoch as a dotted vertical line spanning the chart's values. */
    private static void markBest(XYChart chart, int bestEpoch, int epochs, List<Double> values) {
        if (bestEpoch < 1 || bestEpoch > epochs) {
            return;
        }
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        for (double v : values) {
            if (Double.isFinite(v)) {
                lo = Math.min(lo, v);
                hi = Math.max(hi, v);
            }
        }
        if (lo <= hi && !chart.getSeriesMap().isEmpty()) {
            Charts.vertical(chart, "best epoch " + bestEpoch, bestEpoch, lo, hi, Charts.GREY);
        }
    }

    /** 0.0005, 0.00025: three significant digits, plain (no exponent), no trailing zeros. */
    private static String learningRateTick(double v) {
        return v == 0 ? "0" : new BigDecimal(v).round(new MathContext(3)).stripTrailingZeros().toPlainString();
    }

    private static double number(JsonNode n) {
        return n.isNumber() ? n.asDouble() : Double.NaN;
    }

    private static List<Double> numbers(JsonNode array, int n) {
        List<Double> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(number(array.path(i)));
        }
        return out;
    }

    private static int finiteCount(List<Double> values) {
        return (int) values.stream().filter(Double::isFinite).count();
    }

    private static double min(List<Double> values) {
        return values.stream().filter(Double::isFinite).mapToDouble(Double::doubleValue).min().orElse(Double.NaN);
    }

    private static double max(List<Double> values) {
        return values.stream().filter(Double::isFinite).mapToDouble(Double::doubleValue).max().orElse(Double.NaN);
    }
}
