package io.twotower.job.prepare;

import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.BoundedOneInput;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;

import java.util.Arrays;

/**
 * Runs at parallelism 1: adds up the subtasks' {@link ItemCounts} (one array per subtask, the size of the catalog,
 * not of the log) and emits the catalog in popularity order, most frequent first, ties by lower index.
 */
public final class PopularityRanking extends AbstractStreamOperator<int[]>
        implements OneInputStreamOperator<ItemCounts, int[]>, BoundedOneInput {
    private static final long serialVersionUID = 1L;

    private transient int[] total;
    private transient int catalogSize;

    @Override
    public void open() throws Exception {
        super.open();
        total = new int[0];
    }

    @Override
    public void processElement(StreamRecord<ItemCounts> element) {
        ItemCounts c = element.getValue();
        catalogSize = Math.max(catalogSize, c.catalogSize);
        if (c.counts.length > total.length) {
            total = Arrays.copyOf(total, c.counts.length);
        }
        for (int i = 0; i < c.counts.length; i++) {
            total[i] += c.counts[i];
        }
    }

    @Override
    public void endInput() {
        output.collect(new StreamRecord<>(order(Arrays.copyOf(total, Math.max(catalogSize, total.length)))));
    }

    /** Item indices by descending count, ties by ascending index. */
    static int[] order(int[] counts) {
        // Sort (count, index) pairs packed into longs: descending count is ascending (MAX - count).
        long[] keys = new long[counts.length];
        for (int i = 0; i < counts.length; i++) {
            keys[i] = ((long) (Integer.MAX_VALUE - counts[i]) << 32) | i;
        }
        Arrays.sort(keys);
        int[] order = new int[counts.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = (int) keys[i];
        }
        return order;
    }
}
