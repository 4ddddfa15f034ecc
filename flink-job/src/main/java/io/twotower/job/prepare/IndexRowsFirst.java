package io.twotower.job.prepare;

import org.apache.flink.api.common.eventtime.SerializableTimestampAssigner;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;

/**
 * Record timestamps for the joins: a batch job sorts a keyed operator's input by key, then timestamp, so giving
 * index rows the earlier one puts each key's index row before its interactions.
 */
final class IndexRowsFirst implements SerializableTimestampAssigner<IdJoinRow> {
    private static final long serialVersionUID = 1L;

    static WatermarkStrategy<IdJoinRow> strategy() {
        return WatermarkStrategy.<IdJoinRow>noWatermarks().withTimestampAssigner(new IndexRowsFirst());
    }

    @Override
    public long extractTimestamp(IdJoinRow r, long recordTimestamp) {
        return r.kind == IdJoinRow.INDEX ? 0 : 1;
    }
}
