package io.twotower.job.prepare;

import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Keyed by user: gathers the user's interactions and, at the end of the input, emits them sorted by
 * time and the {@link TieBreak}, the protocol's order.
 */
public final class UserHistoryAssembler extends KeyedProcessFunction<String, Interaction, UserHistory> {
    private static final long serialVersionUID = 1L;

    private final TieBreak tieBreak;
    private final long seed;
    private transient Comparator<Interaction> order;
    private transient ListState<Interaction> interactions;

    public UserHistoryAssembler(TieBreak tieBreak, long seed) {
        this.tieBreak = tieBreak;
        this.seed = seed;
    }

    @Override
    public void open(OpenContext openContext) {
        order = tieBreak.order(seed);
        interactions = getRuntimeContext().getListState(new ListStateDescriptor<>("interactions", Interaction.class));
    }

    @Override
    public void processElement(Interaction value, Context ctx, Collector<UserHistory> out) throws Exception {
        interactions.add(value);
        // Fires once the input is exhausted (the watermark jumps to the end at the end of a bounded input).
        ctx.timerService().registerEventTimeTimer(Long.MAX_VALUE);
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<UserHistory> out) throws Exception {
        List<Interaction> all = new ArrayList<>();
        for (Interaction i : interactions.get()) {
            all.add(i);
        }
        all.sort(order);
        String[] items = new String[all.size()];
        for (int i = 0; i < items.length; i++) {
            items[i] = all.get(i).item;
        }
        out.collect(new UserHistory(ctx.getCurrentKey(), items));
        interactions.clear();
    }
}
