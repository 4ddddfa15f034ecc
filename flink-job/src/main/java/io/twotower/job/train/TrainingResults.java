package io.twotower.job.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.twotower.connectors.dataset.DatasetLayout;
import io.twotower.connectors.snapshot.SnapshotStore;
import io.twotower.job.trainer.CheckpointStats;
import io.twotower.job.plot.JobPlots;
import io.twotower.job.plot.TrainingPlot;
import io.twotower.model.TrainingProgress;
import org.apache.flink.core.fs.FSDataOutputStream;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.Path;

import java.io.IOException;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes {@code twotower_results.json} with the notebook's keys (and a few more), then draws
 * {@code training_curves.png} and {@code .svg} from it ({@link TrainingPlot}).
 */
final class TrainingResults {
    static final String RESULTS = TrainingPlot.RESULTS_FILE;
    private static final ObjectMapper JSON = new ObjectMapper();

    private TrainingResults() {}

    static void write(TrainingSpec spec, TrainingProgress progress, double finalRecall, ObjectNode finalMetrics,
            ObjectNode testMetrics, List<String> epochMetrics, List<Long> examplesPerEpoch,
            List<Double> examplesPerSecond, long steps, List<Long> restoredAtSteps, SnapshotStore snapshots,
            long bestSequence, CheckpointStats checkpoints) throws IOException {
        String recallKey = "Recall@" + spec.config.evalTopK();
        Map<String, Double> baselines = readBaselines(new DatasetLayout(new Path(spec.dataDir)).baselines(), recallKey);
        ObjectNode results = JSON.createObjectNode();
        results.putPOJO("model_config", spec.config.asMap());
        ObjectNode training = results.putObject("training");
        ArrayNode losses = training.putArray("train_losses");
        progress.trainLosses().forEach(losses::add);
        ArrayNode recalls = training.putArray("val_recalls");
        // null for an epoch that ended without a validation (eval_every).
        progress.valRecalls().forEach(r -> {
            if (r.isNaN()) {
                recalls.addNull();
            } else {
                recalls.add(r);
            }
        });
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
        if (testMetrics != null) {
            // The same for the selected model on the test rows, which took no part in choosing it.
            results.set("test_metrics", testMetrics);
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
        checkpoints.addTo(results);
        results.put("table_state", spec.keyedTables ? "keyed" : "operator");
        ArrayNode restores = results.putArray("restored_at_steps");
        restoredAtSteps.forEach(restores::add);
        results.put("run_id", spec.runId);
        if (bestSequence > 0) {
            results.put("best_snapshot", snapshots.snapshotDir(bestSequence).toString());
        }
        Path out = new Path(spec.outputDir);
        write(new Path(out, RESULTS), JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(results));
        JobPlots.writeTrainingCurves(results, out);
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
}
