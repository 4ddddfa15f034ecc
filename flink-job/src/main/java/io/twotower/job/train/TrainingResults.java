package io.twotower.job.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.twotower.connectors.dataset.DatasetLayout;
import io.twotower.connectors.snapshot.SnapshotStore;
import io.twotower.model.TrainingProgress;
import org.apache.flink.core.fs.FSDataOutputStream;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.Path;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Writes {@code twotower_results.json} with the notebook's keys (and a few more) and
 * {@code training_curves.svg}: loss and Recall@K per epoch against the baselines.
 */
final class TrainingResults {
    static final String RESULTS = "twotower_results.json";
    static final String CURVES = "training_curves.svg";
    private static final ObjectMapper JSON = new ObjectMapper();

    private TrainingResults() {}

    static void write(TrainingSpec spec, TrainingProgress progress, double finalRecall, ObjectNode finalMetrics,
            List<String> epochMetrics, List<Long> examplesPerEpoch,
            List<Double> examplesPerSecond, long steps, List<Long> restoredAtSteps, SnapshotStore snapshots,
            long bestSequence) throws IOException {
        String recallKey = "Recall@" + spec.config.evalTopK();
        Map<String, Double> baselines = readBaselines(new DatasetLayout(new Path(spec.dataDir)).baselines(), recallKey);
        ObjectNode results = JSON.createObjectNode();
        results.putPOJO("model_config", spec.config.asMap());
        ObjectNode training = results.putObject("training");
        ArrayNode losses = training.putArray("train_losses");
        progress.trainLosses().forEach(losses::add);
        ArrayNode recalls = training.putArray("val_recalls");
        progress.valRecalls().forEach(recalls::add);
        ArrayNode examples = training.putArray("examples_per_epoch");
        examplesPerEpoch.forEach(examples::add);
        ArrayNode speeds = training.putArray("examples_per_second");
        examplesPerSecond.forEach(speeds::add);
        ArrayNode metrics = training.putArray("metrics");
        for (String m : epochMetrics) {
            metrics.add(JSON.readTree(m));
        }
        results.put("best_recall", progress.bestRecall());
        results.put("best_epoch", progress.bestEpoch());
        results.put("final_recall", finalRecall);
        if (finalMetrics != null) {
            // The best model over all items, and with each user's seen items excluded from the ranking.
            results.set("final_metrics", finalMetrics);
        }
        Double best = baselines.values().stream().max(Double::compare).orElse(null);
        if (best == null) {
            results.putNull("baseline_best_recall");
        } else {
            results.put("baseline_best_recall", best);
        }
        ObjectNode base = results.putObject("baselines");
        baselines.forEach(base::put);
        results.put("epochs_run", progress.epochsDone());
        results.put("stopped_early", progress.stoppedEarly(spec.config.epochs()));
        results.put("optimizer_steps", steps);
        ArrayNode restores = results.putArray("restored_at_steps");
        restoredAtSteps.forEach(restores::add);
        results.put("run_id", spec.runId);
        if (bestSequence > 0) {
            results.put("best_snapshot", snapshots.snapshotDir(bestSequence).toString());
        }
        Path out = new Path(spec.outputDir);
        write(new Path(out, RESULTS), JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(results));
        write(new Path(out, CURVES), curves(progress, baselines, recallKey).getBytes(StandardCharsets.UTF_8));
    }

    private static Map<String, Double> readBaselines(Path path, String recallKey) throws IOException {
        Map<String, Double> out = new LinkedHashMap<>();
        if (!path.getFileSystem().exists(path)) {
            return out;
        }
        JsonNode held = JSON.readTree(SnapshotStore.read(path)).path("held_out_interactions");
        for (Iterator<Map.Entry<String, JsonNode>> it = held.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getValue().has(recallKey)) {
                out.put(e.getKey(), e.getValue().get(recallKey).asDouble());
            }
        }
        return out;
    }

    private static void write(Path path, byte[] bytes) throws IOException {
        try (FSDataOutputStream out = path.getFileSystem().create(path, FileSystem.WriteMode.OVERWRITE)) {
            out.write(bytes);
        }
    }

    /** Two side-by-side line charts (loss; Recall@K with dashed baselines) as a self-contained SVG. */
    static String curves(TrainingProgress progress, Map<String, Double> baselines, String recallKey) {
        List<Double> losses = progress.trainLosses();
        List<Double> recalls = progress.valRecalls();
        StringBuilder svg = new StringBuilder();
        svg.append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"900\" height=\"360\" font-family=\"sans-serif\" font-size=\"12\">\n");
        svg.append("<rect width=\"900\" height=\"360\" fill=\"white\"/>\n");
        double maxRecall = recalls.stream().mapToDouble(d -> d).max().orElse(0);
        for (double b : baselines.values()) {
            maxRecall = Math.max(maxRecall, b);
        }
        chart(svg, 40, "Training loss", losses, Map.of(), "#1f77b4");
        chart(svg, 480, "Validation " + recallKey, recalls, baselines, "#d62728");
        svg.append("</svg>\n");
        return svg.toString();
    }

    private static void chart(StringBuilder svg, int x0, String title, List<Double> values, Map<String, Double> lines,
            String color) {
        int w = 380;
        int h = 260;
        int y0 = 50;
        double lo = Double.MAX_VALUE;
        double hi = -Double.MAX_VALUE;
        for (double v : values) {
            if (Double.isFinite(v)) {
                lo = Math.min(lo, v);
                hi = Math.max(hi, v);
            }
        }
        for (double v : lines.values()) {
            lo = Math.min(lo, v);
            hi = Math.max(hi, v);
        }
        if (lo == Double.MAX_VALUE) {
            lo = 0;
            hi = 1;
        }
        if (!lines.isEmpty()) {
            lo = Math.min(lo, 0);
        }
        if (hi - lo < 1e-9) {
            hi = lo + 1;
        }
        double pad = (hi - lo) * 0.05;
        lo -= pad;
        hi += pad;
        svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"30\" font-size=\"14\">%s</text>%n", x0, title));
        svg.append(String.format(Locale.ROOT,
                "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#888\"/>%n", x0, y0, w, h));
        svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\">%.4f</text>%n", x0 + 2, y0 + 12, hi));
        svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\">%.4f</text>%n", x0 + 2, y0 + h - 4, lo));
        svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\">epoch 1..%d</text>%n", x0 + w / 2 - 30,
                y0 + h + 18, values.size()));
        int n = values.size();
        StringBuilder points = new StringBuilder();
        for (int i = 0; i < n; i++) {
            double x = x0 + (n == 1 ? w / 2.0 : i * (double) w / (n - 1));
            double y = y0 + h - (values.get(i) - lo) / (hi - lo) * h;
            points.append(String.format(Locale.ROOT, "%.1f,%.1f ", x, y));
            svg.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" fill=\"%s\"/>%n", x, y, color));
        }
        svg.append(String.format(Locale.ROOT, "<polyline points=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\"/>%n",
                points.toString().trim(), color));
        int legend = 0;
        String[] colors = {"#2ca02c", "#9467bd", "#8c564b", "#e377c2"};
        for (Map.Entry<String, Double> e : lines.entrySet()) {
            double y = y0 + h - (e.getValue() - lo) / (hi - lo) * h;
            String c = colors[legend % colors.length];
            svg.append(String.format(Locale.ROOT,
                    "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"%s\" stroke-dasharray=\"6,4\"/>%n",
                    x0, y, x0 + w, y, c));
            svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" fill=\"%s\">%s %.4f</text>%n",
                    x0 + 8, y0 + 28 + 14 * legend, c, e.getKey(), e.getValue()));
            legend++;
        }
    }
}
