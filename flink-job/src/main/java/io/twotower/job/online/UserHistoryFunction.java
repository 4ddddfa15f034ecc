package io.twotower.job.online;

import io.twotower.connectors.kafka.InteractionEvent;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.BasicArrayTypeInfo;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

import java.time.Duration;
import java.util.Arrays;

import static org.apache.flink.util.Preconditions.checkArgument;

/**
 * Keyed by user: keeps the user's last {@code maxHistory} items in keyed state and turns each event into
 * an example whose history is the user's items before it (what negatives must avoid). With a TTL, the
 * history of a user without events for that long (processing time: Flink's state TTL has no event-time
 * mode) expires, so the state holds the users active within the TTL rather than every user ever seen.
 */
public final class UserHistoryFunction extends KeyedProcessFunction<String, InteractionEvent, OnlineExample> {
    private static final long serialVersionUID = 1L;
    static final String STATE_NAME = "history";

    private final int maxHistory;
    /** Zero: histories never expire. */
    private final long ttlMillis;
    private transient ValueState<String[]> history;

    public UserHistoryFunction(int maxHistory) {
        this(maxHistory, 0);
    }

    public UserHistoryFunction(int maxHistory, long ttlMillis) {
        checkArgument(maxHistory >= 1, "max history must be at least 1, got %s", maxHistory);
        checkArgument(ttlMillis >= 0, "history TTL must not be negative, got %s ms", ttlMillis);
        this.maxHistory = maxHistory;
        this.ttlMillis = ttlMillis;
    }

    /** The state's descriptor: with the TTL, written on each event and never read back once expired. */
    static ValueStateDescriptor<String[]> descriptor(long ttlMillis) {
        ValueStateDescriptor<String[]> descriptor =
                new ValueStateDescriptor<>(STATE_NAME, BasicArrayTypeInfo.STRING_ARRAY_TYPE_INFO);
        if (ttlMillis > 0) {
            // Background cleanup (on by default: incremental on the heap backend, compaction on RocksDB) also
            // removes the users that never come back; full snapshots leave expired entries out as well.
            descriptor.enableTimeToLive(StateTtlConfig.newBuilder(Duration.ofMillis(ttlMillis))
                    .updateTtlOnCreateAndWrite()
                    .neverReturnExpired()
                    .cleanupFullSnapshot()
                    .build());
        }
        return descriptor;
    }

    @Override
    public void open(OpenContext openContext) {
        history = getRuntimeContext().getState(descriptor(ttlMillis));
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
