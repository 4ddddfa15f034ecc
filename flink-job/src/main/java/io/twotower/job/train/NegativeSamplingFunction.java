package io.twotower.job.train;

import io.twotower.common.SplitMix64;
import io.twotower.connectors.source.SequenceRow;
import io.twotower.model.UniformNegativeSampler;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

import java.io.IOException;

/**
 * Keyed by user: draws k_neg distinct negatives per example, uniform over the catalog minus the row's
 * history and positive (the notebook's distribution). The generator is seeded from (seed, epoch, row),
 * so negatives are fresh every epoch yet identical across runs, parallelisms and restarts. It also cuts
 * the row's history to the window the history tower reads (none in seed mode), so records stay small.
 *
 * <p>The compact layout's rows come without their history: the user's sequence arrives first (a user-sequence
 * record) and is kept in keyed state, each row's history is cut from it (its {@code maxHistory} items before the
 * row's t), and the state is cleared at the user's last row of the epoch (marked by the reader), so it holds only
 * the users whose rows are in flight in the readers' shuffle buffers. Checkpointed with the source's offsets, it is
 * exactly the sequences a restored reader does not send again.
 */
public final class NegativeSamplingFunction extends KeyedProcessFunction<Integer, SequenceRow, TrainingExample> {
    private static final long serialVersionUID = 1L;

    private final int numItems;
    private final int kNeg;
    private final long seed;
    private final int historyLength;
    /** The compact layout's history cap (its manifest's max_history); unused for rows that carry their history. */
    private final int maxHistory;
    private transient UniformNegativeSampler sampler;
    private transient ValueState<int[]> sequence;

    public NegativeSamplingFunction(int numItems, int kNeg, long seed, int historyLength, int maxHistory) {
        this.numItems = numItems;
        this.kNeg = kNeg;
        this.seed = seed;
        this.historyLength = historyLength;
        this.maxHistory = maxHistory;
    }

    @Override
    public void open(OpenContext openContext) {
        sampler = new UniformNegativeSampler(numItems);
        sequence = getRuntimeContext().getState(
                new ValueStateDescriptor<>("user-sequence", PrimitiveArrayTypeInfo.INT_PRIMITIVE_ARRAY_TYPE_INFO));
    }

    @Override
    public void processElement(SequenceRow row, Context ctx, Collector<TrainingExample> out) throws IOException {
        if (row.isUserSequence()) {
            // Sent again after a restore if it was not yet sent before the checkpoint: none of its rows had passed.
            sequence.update(row.sequence);
            return;
        }
        // The row's history is items[from .. to): its own, or a slice of the user's sequence (not copied).
        int[] items = row.history;
        int from = 0;
        int to = items == null ? 0 : items.length;
        if (items == null) {
            items = sequenceOf(row);
            to = row.t;
            from = Math.max(0, to - maxHistory);
        }
        int[] negatives = new int[kNeg];
        SplitMix64 rng = new SplitMix64(SplitMix64.mix(seed, row.epoch, row.rowId));
        sampler.sample(row.positive, items, from, to - from, kNeg, rng, negatives, 0);
        int keep = Math.min(historyLength, to - from);
        int[] recent = java.util.Arrays.copyOfRange(items, to - keep, to);
        out.collect(new TrainingExample(row.user, row.positive, negatives, recent, row.epoch, row.position));
    }

    /** The user's sequence from keyed state (dropped after the user's last row). */
    private int[] sequenceOf(SequenceRow row) throws IOException {
        int[] items = sequence.value();
        if (items == null) {
            throw new IllegalStateException(String.format("row %d (user %d, t=%d) of epoch %d arrived before the "
                    + "user's sequence", row.rowId, row.user, row.t, row.epoch + 1));
        }
        if (items[row.t] != row.positive) {
            throw new IllegalStateException(String.format("row %d of user %d: positive %d, but the user's sequence "
                    + "has item %d at t=%d", row.rowId, row.user, row.positive, items[row.t], row.t));
        }
        if (row.last) {
            sequence.clear();
        }
        return items;
    }
}
