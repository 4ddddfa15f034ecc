package io.twotower.job.prepare;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

/**
 * The item join, keyed by raw item id: an item's {@link IdJoinRow#INDEX} row and its interactions meet here, and
 * every interaction leaves as a row of the user join: keyed by the raw user id, with the item's dense index and the
 * {@link TieBreak}'s sort fields. A batch job feeds a key's rows sorted by timestamp and the index row carries the
 * earliest ({@link IndexRowsFirst}), so interactions stream straight through; one that came first anyway is kept
 * in the key's state until the index row arrives.
 */
public final class ItemIndexJoin extends KeyedProcessFunction<String, IdJoinRow, IdJoinRow> {
    private static final long serialVersionUID = 1L;
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(ItemIndexJoin.class);

    private final TieBreak tieBreak;
    private final long seed;
    private transient ValueState<Integer> index;
    private transient ListState<IdJoinRow> early;
    /** Interactions that had to wait for their index row (none when the batch sort does what it promises). */
    private transient long waited;

    public ItemIndexJoin(TieBreak tieBreak, long seed) {
        this.tieBreak = tieBreak;
        this.seed = seed;
    }

    @Override
    public void open(OpenContext openContext) {
        index = getRuntimeContext().getState(new ValueStateDescriptor<>("item-index", Integer.class));
        early = getRuntimeContext().getListState(new ListStateDescriptor<>("early-interactions", IdJoinRow.class));
    }

    @Override
    public void processElement(IdJoinRow r, Context ctx, Collector<IdJoinRow> out) throws Exception {
        if (r.kind == IdJoinRow.INDEX) {
            index.update(r.index);
            for (IdJoinRow e : early.get()) {
                out.collect(userEvent(e, r.index));
            }
            early.clear();
        } else if (index.value() != null) {
            out.collect(userEvent(r, index.value()));
        } else {
            early.add(r);
            waited++;
            // Fires after the key's last row: an interaction still waiting then has no index.
            ctx.timerService().registerEventTimeTimer(Long.MAX_VALUE);
        }
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<IdJoinRow> out) throws Exception {
        if (early.get().iterator().hasNext()) {
            throw new IllegalStateException("item '" + ctx.getCurrentKey() + "' has interactions but no dense index");
        }
    }

    @Override
    public void close() throws Exception {
        if (waited > 0) {
            LOG.warn("{} interactions arrived before their item's index row and waited in state", waited);
        }
        super.close();
    }

    /** {@code r} turned into a row of the user join, in place (no second object for each of the log's rows). */
    private IdJoinRow userEvent(IdJoinRow r, int itemIndex) {
        r.tie = tieBreak.primary(seed, r.user, r.key, itemIndex);
        r.tie2 = tieBreak.secondary(itemIndex);
        r.key = r.user;
        r.user = null;
        r.index = itemIndex;
        return r;
    }
}
