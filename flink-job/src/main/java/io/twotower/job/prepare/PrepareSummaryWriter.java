package io.twotower.job.prepare;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.twotower.connectors.dataset.DatasetLayout;
import io.twotower.connectors.dataset.DatasetManifest;
import io.twotower.connectors.dataset.UserSequenceFiles;
import org.apache.flink.core.fs.FSDataOutputStream;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.Path;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.BoundedOneInput;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Runs at parallelism 1 once every writer has finished: gathers their {@link PrepareFact}s, writes
 * {@code baseline_results.json} and (compact layout) {@code dataset.json}, the file that makes the parts a
 * dataset, last; emits the job's JSON summary.
 */
public final class PrepareSummaryWriter extends AbstractStreamOperator<String>
        implements OneInputStreamOperator<PrepareFact, String>, BoundedOneInput {
    private static final long serialVersionUID = 1L;

    private final String outputDir;
    private final int maxHistory;
    private final Holdout holdout;
    private final TrainingDataLayout trainLayout;
    private final int parts;
    private transient Map<String, Long> counts;
    private transient TreeMap<Integer, DatasetManifest.Part> written;
    /** Split, then baseline name, to {hits, rows}. */
    private transient Map<String, Map<String, long[]>> baselines;

    public PrepareSummaryWriter(String outputDir, int maxHistory, Holdout holdout, TrainingDataLayout trainLayout,
            int parts) {
        this.outputDir = outputDir;
        this.maxHistory = maxHistory;
        this.holdout = holdout;
        this.trainLayout = trainLayout;
        this.parts = parts;
    }

    @Override
    public void open() throws Exception {
        super.open();
        counts = new LinkedHashMap<>();
        written = new TreeMap<>();
        baselines = new LinkedHashMap<>();
        baselines.put(BaselineOperator.VALIDATION, new LinkedHashMap<>());
        baselines.put(BaselineOperator.TEST, new LinkedHashMap<>());
        for (Map<String, long[]> split : baselines.values()) {
            // The order of the JSON keys.
            split.put(PopularityBaselines.MOST_POPULAR, new long[2]);
            split.put(PopularityBaselines.EXCLUDING_HISTORY, new long[2]);
        }
    }

    @Override
    public void processElement(StreamRecord<PrepareFact> element) {
        PrepareFact f = element.getValue();
        switch (f.kind) {
            case PrepareFact.PART:
                written.put(f.part, new DatasetManifest.Part(UserSequenceFiles.partName(f.part), f.value, f.total));
                counts.merge(PrepareFact.TRAIN_ROWS, f.total, Long::sum);
                break;
            case PrepareFact.BASELINE:
                long[] tally = baselines.get(f.split).get(f.name);
                tally[0] += f.value;
                tally[1] += f.total;
                break;
            default:
                counts.merge(f.kind, f.value, Long::sum);
        }
    }

    @Override
    public void endInput() throws Exception {
        boolean compact = trainLayout == TrainingDataLayout.USER_SEQUENCES;
        boolean test = holdout == Holdout.VAL_TEST;
        DatasetLayout layout = new DatasetLayout(new Path(outputDir));
        ObjectMapper json = new ObjectMapper();
        ObjectNode results = json.createObjectNode();
        ObjectNode held = results.putObject(BaselineOperator.VALIDATION);
        putBaselines(held, baselines.get(BaselineOperator.VALIDATION));
        if (test) {
            // A key of its own: readers of held_out_interactions (train's results, plots) keep reading validation.
            putBaselines(results.putObject(BaselineOperator.TEST), baselines.get(BaselineOperator.TEST));
        }
        try (FSDataOutputStream out = layout.baselines().getFileSystem()
                .create(layout.baselines(), FileSystem.WriteMode.OVERWRITE)) {
            out.write(json.writerWithDefaultPrettyPrinter().writeValueAsBytes(results));
        }
        if (compact) {
            if (written.size() != parts) {
                throw new IllegalStateException(outputDir + ": " + written.size() + " of " + parts + " parts written");
            }
            new DatasetManifest(maxHistory, new ArrayList<>(written.values())).write(layout.manifest());
        }

        ObjectNode summary = json.createObjectNode();
        summary.put("users", counts.getOrDefault(PrepareFact.USERS, 0L));
        summary.put("items", counts.getOrDefault(PrepareFact.ITEMS, 0L));
        summary.put("train_rows", counts.getOrDefault(PrepareFact.TRAIN_ROWS, 0L));
        summary.put("layout", trainLayout.optionValue());
        if (compact) {
            summary.put("parts", parts);
        }
        summary.put("val_rows", counts.getOrDefault(PrepareFact.VAL_ROWS, 0L));
        if (test) {
            summary.put("test_rows", counts.getOrDefault(PrepareFact.TEST_ROWS, 0L));
        }
        summary.set("baselines", held);
        if (test) {
            summary.set("test_baselines", results.get(BaselineOperator.TEST));
        }
        LOG.info("Prepared dataset in {}: {}", outputDir, summary);
        output.collect(new StreamRecord<>(json.writeValueAsString(summary)));
    }

    private static void putBaselines(ObjectNode into, Map<String, long[]> tallies) {
        for (Map.Entry<String, long[]> e : tallies.entrySet()) {
            long[] t = e.getValue();
            into.putObject(e.getKey()).put("Recall@" + PopularityBaselines.TOP_K, t[1] == 0 ? 0 : (double) t[0] / t[1]);
        }
    }
}
