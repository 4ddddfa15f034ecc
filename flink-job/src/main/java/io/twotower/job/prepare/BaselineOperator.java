package io.twotower.job.prepare;

import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.BoundedMultiInput;
import org.apache.flink.streaming.api.operators.InputSelectable;
import org.apache.flink.streaming.api.operators.InputSelection;
import org.apache.flink.streaming.api.operators.TwoInputStreamOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;

/**
 * Scores the {@link PopularityBaselines} on every user's held-out rows, in parallel: input 1 is the popularity order
 * (broadcast, read to its end first, as a batch hash join reads its build side), input 2 the users'
 * sequences. Reports hits and rows per split and baseline as {@link PrepareFact}s.
 */
public final class BaselineOperator extends AbstractStreamOperator<PrepareFact>
        implements TwoInputStreamOperator<int[], UserSequence, PrepareFact>, InputSelectable, BoundedMultiInput {
    private static final long serialVersionUID = 1L;
    public static final String VALIDATION = "held_out_interactions";
    public static final String TEST = "test_interactions";

    private final Holdout holdout;
    private transient boolean orderRead;
    private transient PopularityBaselines baselines;
    /** Per split (validation, test): rows, most-popular hits, excluding-history hits. */
    private transient long[][] tally;

    public BaselineOperator(Holdout holdout) {
        this.holdout = holdout;
    }

    @Override
    public void open() throws Exception {
        super.open();
        tally = new long[2][3];
    }

    @Override
    public InputSelection nextSelection() {
        return orderRead ? InputSelection.SECOND : InputSelection.FIRST;
    }

    @Override
    public void processElement1(StreamRecord<int[]> element) {
        baselines = new PopularityBaselines(element.getValue());
    }

    @Override
    public void processElement2(StreamRecord<UserSequence> element) {
        if (baselines == null) {
            throw new IllegalStateException("a user's sequence arrived before the popularity order");
        }
        UserSequence s = element.getValue();
        score(0, s, holdout.validationAt(s.items.length));
        score(1, s, holdout.testAt(s.items.length));
    }

    /** The row held out at {@code at} (none when negative); the user's items before it are its history. */
    private void score(int split, UserSequence s, int at) {
        if (at < 0) {
            return;
        }
        int positive = s.items[at];
        tally[split][0]++;
        tally[split][1] += baselines.mostPopularHits(positive) ? 1 : 0;
        tally[split][2] += baselines.excludingHistoryHits(positive, s.items, at) ? 1 : 0;
    }

    @Override
    public void endInput(int inputId) {
        if (inputId == 1) {
            orderRead = true;
            return;
        }
        for (int split = 0; split < (holdout == Holdout.VAL_TEST ? 2 : 1); split++) {
            String name = split == 0 ? VALIDATION : TEST;
            output.collect(new StreamRecord<>(PrepareFact.baseline(name, PopularityBaselines.MOST_POPULAR,
                    tally[split][1], tally[split][0])));
            output.collect(new StreamRecord<>(PrepareFact.baseline(name, PopularityBaselines.EXCLUDING_HISTORY,
                    tally[split][2], tally[split][0])));
        }
    }
}
