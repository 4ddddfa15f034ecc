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
 * (time, item id), the protocol's order.
 */
public final class UserHistoryAssembler extends KeyedProcessFunction<String, Interaction, UserHistory> {
    private static final long serialVersionUID = 1L;
    private static final Comparator<Interaction> ORDER = Comparator.<Interaction>comparingLong(i -> i.timestamp)
            .thenComparing(i -> i.item, RawIdOrder.INSTANCE);

    private transient ListState<Interaction> interactions;

    @Override
    public void open(OpenContext openContext) {
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
        all.sort(ORDER);
        String[] items = new String[all.size()];
        for (int i = 0; i < items.length; i++) {
            items[i] = all.get(i).item;
        }
        out.collect(new UserHistory(ctx.getCurrentKey(), items));
        interactions.clear();
    }
}
