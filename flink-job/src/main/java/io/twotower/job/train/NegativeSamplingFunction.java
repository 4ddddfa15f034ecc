package io.twotower.job.train;

import io.twotower.common.SplitMix64;
import io.twotower.connectors.source.SequenceRow;
import io.twotower.model.UniformNegativeSampler;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Keyed by user: draws k_neg distinct negatives per example, uniform over the catalog minus the row's
 * history and positive (the notebook's distribution). The generator is seeded from (seed, epoch, row),
 * so negatives are fresh every epoch yet identical across runs, parallelisms and restarts. It also cuts
 * the row's history to the window the history tower reads (none in seed mode), so records stay small.
 */
public final class NegativeSamplingFunction extends KeyedProcessFunction<Integer, SequenceRow, TrainingExample> {
    private static final long serialVersionUID = 1L;

    private final int numItems;
    private final int kNeg;
    private final long seed;
    private final int historyLength;
    private transient UniformNegativeSampler sampler;

    public NegativeSamplingFunction(int numItems, int kNeg, long seed, int historyLength) {
        this.numItems = numItems;
        this.kNeg = kNeg;
        this.seed = seed;
        this.historyLength = historyLength;
    }

    @Override
    public void open(OpenContext openContext) {
        sampler = new UniformNegativeSampler(numItems);
    }

    @Override
    public void processElement(SequenceRow row, Context ctx, Collector<TrainingExample> out) {
        int[] negatives = new int[kNeg];
        SplitMix64 rng = new SplitMix64(SplitMix64.mix(seed, row.epoch, row.rowId));
        sampler.sample(row.positive, row.history, row.history.length, kNeg, rng, negatives, 0);
        int keep = Math.min(historyLength, row.history.length);
        int[] recent = java.util.Arrays.copyOfRange(row.history, row.history.length - keep, row.history.length);
        out.collect(new TrainingExample(row.user, row.positive, negatives, recent, row.epoch, row.position));
    }
}
