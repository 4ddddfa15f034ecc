package io.twotower.job.trainer;

import io.twotower.model.ChangedRows;
import io.twotower.model.TwoTowerTrainer;

import org.apache.flink.api.common.state.KeyedStateStore;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.streaming.api.operators.KeyContext;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Map;

/**
 * The embedding tables and their sparse optimizer state as one keyed-state entry per row ({@code --table-state
 * keyed}): a checkpoint writes only the rows changed since the previous one, so with RocksDB and incremental
 * checkpoints its cost follows the rows the batches touched, not the catalog. The entry of row r of table t is
 * keyed {@code t << 40 | r} and holds the row's d_model floats and then its optimizer state (little-endian).
 *
 * <p>The trainer operator runs at parallelism 1 on a stream keyed by one constant ({@link #keySelector()}), so
 * every row lives under that one key, in one key group. The rest of the trainer's state (layers, AdamW moments,
 * counters, pending gradients) stays in raw operator state; it is small.
 */
public final class KeyedTableRows {
    /** The one key the trainer's input is keyed by. */
    public static final Integer KEY = 0;
    /** Rows gathered from (or scattered into) libtorch per call: 4096 x (d + state) floats. */
    private static final int BATCH_ROWS = 4096;
    private static final int TABLE_SHIFT = 40;

    private final MapState<Long, byte[]> rows;
    private final KeyContext keys;

    public KeyedTableRows(KeyedStateStore store, KeyContext keys) {
        this.rows = store.getMapState(new MapStateDescriptor<>("embedding-rows", Types.LONG,
                PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO));
        this.keys = keys;
    }

    /**
     * After a trainer was restored from raw state: loads its tables from {@code rows} where the checkpoint kept
     * them there, and returns the changed-row record to save with (null when {@code rows} is null: tables in
     * the raw state). A checkpoint whose tables were raw state restores into keyed rows too: every row counts as
     * changed, so the next checkpoint writes them all.
     */
    public static ChangedRows restore(TwoTowerTrainer trainer, KeyedTableRows rows) throws Exception {
        if (trainer == null) {
            return null;
        }
        if (trainer.awaitsSavedRows()) {
            if (rows == null) {
                throw new IllegalStateException("the checkpoint keeps the embedding tables as keyed rows (--"
                        + TableState.OPTION + " keyed): resume with --" + TableState.OPTION + " keyed");
            }
            rows.load(trainer);
            ChangedRows changed = trainer.trackChangedRows();
            changed.clear();
            return changed;
        }
        return rows == null ? null : trainer.trackChangedRows();
    }

    /** Saves the rows changed since the last save; returns the bytes written. */
    public long saveChanged(TwoTowerTrainer trainer, ChangedRows changed) throws Exception {
        int width = trainer.savedRowWidth();
        long bytes = 0;
        Object previousKey = keys.getCurrentKey();
        keys.setCurrentKey(KEY);
        try {
            for (int t = 0; t < 2; t++) {
                long[] ids = changed.take(t);
                for (int from = 0; from < ids.length; from += BATCH_ROWS) {
                    int to = Math.min(ids.length, from + BATCH_ROWS);
                    float[] values = trainer.savedRows(t, ids, from, to);
                    for (int i = from; i < to; i++) {
                        ByteBuffer row = ByteBuffer.allocate(width * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
                        row.asFloatBuffer().put(values, (i - from) * width, width);
                        rows.put(key(t, ids[i]), row.array());
                        bytes += Long.BYTES + (long) width * Float.BYTES;
                    }
                }
            }
        } finally {
            if (previousKey != null) {
                keys.setCurrentKey(previousKey);
            }
        }
        return bytes;
    }

    /**
     * Loads every saved row into a trainer restored without its tables, checking that each row of both tables
     * came back exactly once with the width the configuration implies.
     */
    public void load(TwoTowerTrainer trainer) throws Exception {
        int width = trainer.savedRowWidth();
        long[] expected = {trainer.tableRows(0), trainer.tableRows(1)};
        long[] found = new long[2];
        keys.setCurrentKey(KEY);
        // One buffer per table: the heap backend iterates in hash order, RocksDB in key order.
        long[][] ids = new long[2][BATCH_ROWS];
        float[][] values = new float[2][BATCH_ROWS * width];
        int[] n = new int[2];
        for (Map.Entry<Long, byte[]> e : rows.entries()) {
            int t = (int) (e.getKey() >>> TABLE_SHIFT);
            long row = e.getKey() & ((1L << TABLE_SHIFT) - 1);
            if (t > 1 || row >= expected[t]) {
                throw new IOException("the checkpoint's embedding rows hold row " + row + " of table " + t
                        + ", beyond the restored tables (" + expected[0] + " users, " + expected[1] + " items)");
            }
            if (e.getValue().length != width * Float.BYTES) {
                throw new IOException("the checkpoint's embedding rows hold " + e.getValue().length / Float.BYTES
                        + " floats per row, this configuration " + width + " (d_model and embedding_optimizer must"
                        + " be the ones the checkpoint was trained with)");
            }
            ids[t][n[t]] = row;
            ByteBuffer.wrap(e.getValue()).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer()
                    .get(values[t], n[t] * width, width);
            found[t]++;
            if (++n[t] == BATCH_ROWS) {
                trainer.loadRows(t, ids[t], n[t], values[t]);
                n[t] = 0;
            }
        }
        for (int t = 0; t < 2; t++) {
            if (n[t] > 0) {
                trainer.loadRows(t, ids[t], n[t], values[t]);
            }
        }
        if (found[0] != expected[0] || found[1] != expected[1]) {
            throw new IOException("the checkpoint's embedding rows cover " + found[0] + " of " + expected[0]
                    + " user rows and " + found[1] + " of " + expected[1] + " item rows");
        }
        trainer.savedRowsLoaded();
    }

    private static long key(int table, long row) {
        return (long) table << TABLE_SHIFT | row;
    }

    /** Keys every record by {@link #KEY}, so that the trainer operator gets a keyed state backend. */
    public static <T> KeySelector<T, Integer> keySelector() {
        return new ConstantKey<>();
    }

    private static final class ConstantKey<T> implements KeySelector<T, Integer> {
        private static final long serialVersionUID = 1L;

        @Override
        public Integer getKey(T value) {
            return KEY;
        }
    }
}
