package io.twotower.model;

import java.util.BitSet;

/**
 * The embedding rows (table 0: users, 1: items) that changed since they were last saved: what an incremental
 * checkpoint writes. A sparse embedding optimizer changes only the rows a step touched, so between two
 * checkpoints this is about the rows the batches touched, not the table. One bit per row (1.25 MB at 10M rows).
 */
public final class ChangedRows {
    private final BitSet[] tables = {new BitSet(), new BitSet()};

    /** Marks rows {@code [from, to)} of {@code table} (a fresh table, rows a vocabulary added). */
    void markRange(int table, long from, long to) {
        if (to > from) {
            tables[table].set(Math.toIntExact(from), Math.toIntExact(to));
        }
    }

    /** Marks the first {@code n} of {@code rows} of {@code table} (the rows a step updated). */
    void mark(int table, long[] rows, int n) {
        BitSet bits = tables[table];
        for (int i = 0; i < n; i++) {
            bits.set(Math.toIntExact(rows[i]));
        }
    }

    /** How many rows of {@code table} are marked. */
    public int count(int table) {
        return tables[table].cardinality();
    }

    /** The marked rows of {@code table}, ascending, and forgets them (they are being saved). */
    public long[] take(int table) {
        BitSet bits = tables[table];
        long[] rows = new long[bits.cardinality()];
        int k = 0;
        for (int r = bits.nextSetBit(0); r >= 0; r = bits.nextSetBit(r + 1)) {
            rows[k++] = r;
        }
        bits.clear();
        return rows;
    }

    /** Forgets every mark (the tables were just loaded from where they are saved). */
    public void clear() {
        tables[0].clear();
        tables[1].clear();
    }
}
