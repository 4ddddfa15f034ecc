package io.twotower.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.core.Embedding;

import java.util.Arrays;

/**
 * Where a forward pass reads an embedding table's rows: the table itself (dense training, evaluation), or
 * a small leaf holding just the rows a sparse step gathered, addressed through an id-to-slot map. Backward
 * then writes the gradient into the leaf, never into a table-sized array.
 */
public final class EmbeddingRows {
    private final NDArray rows;
    /** Row id to its slot in {@link #rows}, -1 when not gathered; null when {@link #rows} is the table. */
    private final int[] slotOf;
    private final long padding;

    private EmbeddingRows(NDArray rows, int[] slotOf, long padding) {
        this.rows = rows;
        this.slotOf = slotOf;
        this.padding = padding;
    }

    /** The whole table: ids are rows. */
    public static EmbeddingRows of(NDArray table) {
        return new EmbeddingRows(table, null, 0);
    }

    /** A leaf of gathered rows; {@code slotOf[id]} is the slot of row {@code id}; {@code padding} is any gathered id. */
    static EmbeddingRows gathered(NDArray leaf, int[] slotOf, long padding) {
        return new EmbeddingRows(leaf, slotOf, padding);
    }

    /** The rows of ids {@code ids[0..n)} (a differentiable gather, created in {@code scope}). */
    public NDArray lookup(NDManager scope, long[] ids, int n) {
        long[] index;
        if (slotOf == null) {
            index = ids.length == n ? ids : Arrays.copyOf(ids, n);
        } else {
            index = new long[n];
            for (int i = 0; i < n; i++) {
                int slot = slotOf[Math.toIntExact(ids[i])];
                if (slot < 0) {
                    throw new IllegalStateException("row " + ids[i] + " was not gathered for this step");
                }
                index[i] = slot;
            }
        }
        return Embedding.embedding(scope.create(index), rows, SparseFormat.DENSE).singletonOrThrow();
    }

    /** An id that may fill padding slots (weight 0): item 0 for the table, a gathered row for a leaf. */
    public long paddingId() {
        return padding;
    }
}
