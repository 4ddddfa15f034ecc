package io.twotower.job.prepare;

import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.BoundedOneInput;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;

import java.util.Arrays;

/**
 * Counts each item's training interactions over one subtask's users (the popularity baselines' counts) and emits
 * them once, at the end, as {@link ItemCounts}: one array the size of the catalog per subtask.
 */
public final class TrainingItemCounter extends AbstractStreamOperator<ItemCounts>
        implements OneInputStreamOperator<UserSequence, ItemCounts>, BoundedOneInput {
    private static final long serialVersionUID = 1L;

    private final Holdout holdout;
    private transient int[] counts;

    public TrainingItemCounter(Holdout holdout) {
        this.holdout = holdout;
    }

    @Override
    public void open() throws Exception {
        super.open();
        counts = new int[1024];
    }

    @Override
    public void processElement(StreamRecord<UserSequence> element) {
        int[] items = element.getValue().items;
        for (int t = 0; t < holdout.trainEnd(items.length); t++) {
            if (items[t] >= counts.length) {
                counts = Arrays.copyOf(counts, Math.max(counts.length * 2, items[t] + 1));
            }
            counts[items[t]]++;
        }
    }

    @Override
    public void endInput() {
        output.collect(new StreamRecord<>(new ItemCounts(0, counts)));
    }
}
