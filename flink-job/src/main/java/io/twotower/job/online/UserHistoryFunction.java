package io.twotower.job.online;

import io.twotower.connectors.kafka.InteractionEvent;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.BasicArrayTypeInfo;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

import java.util.Arrays;

/**
 * Keyed by user: keeps the user's last {@code maxHistory} items in keyed state and turns each event into
 * an example whose history is the user's items before it (what negatives must avoid).
 */
public final class UserHistoryFunction extends KeyedProcessFunction<String, InteractionEvent, OnlineExample> {
    private static final long serialVersionUID = 1L;

    private final int maxHistory;
    private transient ValueState<String[]> history;

    public UserHistoryFunction(int maxHistory) {
        this.maxHistory = maxHistory;
    }

    @Override
    public void open(OpenContext openContext) {
        history = getRuntimeContext().getState(
                new ValueStateDescriptor<>("history", BasicArrayTypeInfo.STRING_ARRAY_TYPE_INFO));
    }

    @Override
    public void processElement(InteractionEvent event, Context ctx, Collector<OnlineExample> out) throws Exception {
        String[] before = history.value();
        if (before == null) {
            before = new String[0];
        }
        out.collect(new OnlineExample(event.user, event.item, event.timestamp, before));
        String[] after = Arrays.copyOfRange(before, Math.max(0, before.length + 1 - maxHistory), before.length + 1);
        after[after.length - 1] = event.item;
        history.update(after);
    }
}
