package io.twotower.job.prepare;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.twotower.connectors.dataset.DatasetLayout;
import io.twotower.connectors.dataset.DatasetManifest;
import io.twotower.connectors.dataset.UserSequenceFiles;
import io.twotower.connectors.dataset.IdMapFile;
import io.twotower.connectors.dataset.SequenceFiles;
import org.apache.flink.core.fs.FSDataOutputStream;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.Path;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.BoundedOneInput;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Runs at parallelism 1: dense ids need every raw id, so the histories meet here; at the end of the
 * input it applies {@link PreparedDataset} and writes the id maps, the held-out files and the training data in the
 * chosen {@link TrainingDataLayout}, then emits a JSON summary.
 */
public final class DatasetWriterOperator extends AbstractStreamOperator<String>
        implements OneInputStreamOperator<UserHistory, String>, BoundedOneInput {
    private static final long serialVersionUID = 1L;
    /** The key of the test rows' baselines in baseline_results.json. */
    public static final String TEST_BASELINES = "test_interactions";

    private final String outputDir;
    private final int maxHistory;
    private final Holdout holdout;
    private final TrainingDataLayout trainLayout;
    /** Part files of the compact layout. */
    private final int parts;
    private transient List<UserHistory> histories;

    public DatasetWriterOperator(String output, int maxHistory, Holdout holdout) {
        this(output, maxHistory, holdout, TrainingDataLayout.NOTEBOOK, 1);
    }

    public DatasetWriterOperator(String output, int maxHistory, Holdout holdout, TrainingDataLayout trainLayout,
            int parts) {
        if (parts < 1) {
            throw new IllegalArgumentException("--parts must be at least 1, got " + parts);
        }
        this.outputDir = output;
        this.maxHistory = maxHistory;
        this.holdout = holdout;
        this.trainLayout = trainLayout;
        this.parts = parts;
    }

    @Override
    public void open() throws Exception {
        super.open();
        histories = new ArrayList<>();
    }

    @Override
    public void processElement(StreamRecord<UserHistory> element) {
        histories.add(element.getValue());
    }

    @Override
    public void endInput() throws Exception {
        boolean compact = trainLayout == TrainingDataLayout.USER_SEQUENCES;
        PreparedDataset data = PreparedDataset.build(histories, maxHistory, holdout, !compact);
        DatasetLayout layout = new DatasetLayout(new Path(outputDir));
        FileSystem fs = layout.root().getFileSystem();
        fs.mkdirs(layout.root());
        IdMapFile.write(layout.userMap(), DatasetLayout.USER_ID_COLUMN, DatasetLayout.USER_IDX_COLUMN, data.userIds);
        IdMapFile.write(layout.itemMap(), DatasetLayout.ITEM_ID_COLUMN, DatasetLayout.ITEM_IDX_COLUMN, data.itemIds);
        // The other layout's training data of an earlier run would be read instead of (or beside) this one's.
        fs.delete(compact ? layout.train() : layout.manifest(), true);
        fs.delete(layout.userSequences(), true);
        if (compact) {
            writeUserSequences(layout, data);
        } else {
            SequenceFiles.write(layout.train(), data.train);
        }
        SequenceFiles.write(layout.validation(), data.validation);
        if (data.test != null) {
            SequenceFiles.write(layout.test(), data.test);
        }

        ObjectMapper json = new ObjectMapper();
        ObjectNode baselines = json.createObjectNode();
        ObjectNode held = baselines.putObject("held_out_interactions");
        putBaselines(held, data.baselines);
        if (data.test != null) {
            // A key of its own: readers of held_out_interactions (train's results, plots) keep reading validation.
            putBaselines(baselines.putObject(TEST_BASELINES), data.testBaselines);
        }
        try (FSDataOutputStream out = layout.baselines().getFileSystem()
                .create(layout.baselines(), FileSystem.WriteMode.OVERWRITE)) {
            out.write(json.writerWithDefaultPrettyPrinter().writeValueAsBytes(baselines));
        }

        ObjectNode summary = json.createObjectNode();
        summary.put("users", data.userIds.size());
        summary.put("items", data.itemIds.size());
        summary.put("train_rows", data.trainRows);
        summary.put("layout", trainLayout.optionValue());
        if (compact) {
            summary.put("parts", parts);
        }
        summary.put("val_rows", data.validation.size());
        if (data.test != null) {
            summary.put("test_rows", data.test.size());
        }
        summary.set("baselines", held);
        if (data.test != null) {
            summary.set("test_baselines", baselines.get(TEST_BASELINES));
        }
        LOG.info("Prepared dataset in {}: {}", outputDir, summary);
        output.collect(new StreamRecord<>(json.writeValueAsString(summary)));
    }

    /** Part p holds the users {@link UserSequenceFiles#partOf} maps to p, ascending; then the manifest. */
    private void writeUserSequences(DatasetLayout layout, PreparedDataset data) throws java.io.IOException {
        layout.root().getFileSystem().mkdirs(layout.userSequences());
        List<DatasetManifest.Part> written = new ArrayList<>();
        UserSequenceFiles.Writer[] writers = new UserSequenceFiles.Writer[parts];
        try {
            for (int p = 0; p < parts; p++) {
                writers[p] = new UserSequenceFiles.Writer(new Path(layout.userSequences(), UserSequenceFiles.partName(p)));
            }
            for (int u = 0; u < data.trainItems.length; u++) {
                int[] items = data.trainItems[u];
                if (items.length > 0) {
                    writers[UserSequenceFiles.partOf(u, parts)].add(u, items, 0, items.length);
                }
            }
        } finally {
            for (UserSequenceFiles.Writer w : writers) {
                if (w != null) {
                    w.close();
                }
            }
        }
        for (int p = 0; p < parts; p++) {
            written.add(new DatasetManifest.Part(UserSequenceFiles.partName(p), writers[p].users(),
                    writers[p].interactions()));
        }
        new DatasetManifest(maxHistory, written).write(layout.manifest());
    }

    private static void putBaselines(ObjectNode into, Map<String, Double> baselines) {
        for (Map.Entry<String, Double> e : baselines.entrySet()) {
            into.putObject(e.getKey()).put("Recall@" + PreparedDataset.TOP_K, e.getValue());
        }
    }
}
