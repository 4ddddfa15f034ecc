package io.twotower.job.prepare;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The user join, keyed by raw user id: the user's {@link IdJoinRow#INDEX} row gives the dense user index, its
 * interactions (with dense item indices) are gathered in the key's state, and after the key's last row they leave
 * as one {@link UserSequence} in the protocol's order: time, the {@link TieBreak}'s two fields, then the input
 * position (a total order, so the output does not depend on arrival order). A batch job holds one key's state at
 * a time: one user's interactions.
 */
public final class UserSequenceAssembler extends KeyedProcessFunction<String, IdJoinRow, UserSequence> {
    private static final long serialVersionUID = 1L;
    static final Comparator<IdJoinRow> PROTOCOL_ORDER = Comparator.<IdJoinRow>comparingLong(r -> r.timestamp)
            .thenComparingLong(r -> r.tie).thenComparingLong(r -> r.tie2)
            .thenComparingInt(r -> r.file).thenComparingLong(r -> r.row);

    private transient ValueState<Integer> user;
    private transient ListState<IdJoinRow> interactions;

    @Override
    public void open(OpenContext openContext) {
        user = getRuntimeContext().getState(new ValueStateDescriptor<>("user-index", Integer.class));
        interactions = getRuntimeContext().getListState(new ListStateDescriptor<>("interactions", IdJoinRow.class));
    }

    @Override
    public void processElement(IdJoinRow r, Context ctx, Collector<UserSequence> out) throws Exception {
        if (r.kind == IdJoinRow.INDEX) {
            user.update(r.index);
        } else {
            interactions.add(r);
        }
        // Fires after the key's last row (a batch job's watermark jumps to the end when the key changes).
        ctx.timerService().registerEventTimeTimer(Long.MAX_VALUE);
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<UserSequence> out) throws Exception {
        if (user.value() == null) {
            throw new IllegalStateException("user '" + ctx.getCurrentKey() + "' has interactions but no dense index");
        }
        List<IdJoinRow> all = new ArrayList<>();
        for (IdJoinRow r : interactions.get()) {
            all.add(r);
        }
        all.sort(PROTOCOL_ORDER);
        int[] items = new int[all.size()];
        for (int i = 0; i < items.length; i++) {
            items[i] = all.get(i).index;
        }
        out.collect(new UserSequence(user.value(), items));
        interactions.clear();
        user.clear();
    }
}
