package io.twotower.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;

import java.util.Arrays;

/**
 * The gradient of one embedding table accumulated over an optimizer step's micro-batches as rows: the ids
 * touched since the last step (in first-touch order) and their summed gradients, never a table-sized array.
 *
 * <p>Each micro-batch gathers the rows touched so far (this batch's and the earlier ones', so one leaf
 * covers the union) into a leaf that requires gradients; after backward the leaf's gradient plus the sums
 * so far, padded with zero rows for the ids this batch added, are the new sums. The cost is O(rows touched x
 * d) per micro-batch.
 */
final class SparseRowGradients implements AutoCloseable {
    private final int dModel;
    /** Row id to its slot in {@link #rows}, -1 when untouched since the last step. */
    private int[] slotOf;
    private long[] rows;
    private int size;
    /** Summed gradients of rows [0, values rows); null before the first backward of a step. */
    private NDArray values;
    /** This micro-batch's leaf (in the step's scope) until {@link #collect}. */
    private NDArray leaf;

    SparseRowGradients(int tableRows, int dModel) {
        this.dModel = dModel;
        this.slotOf = new int[0];
        this.rows = new long[64];
        ensureCapacity(tableRows);
    }

    /** Makes room for ids below {@code tableRows} (a grown vocabulary). */
    void ensureCapacity(int tableRows) {
        if (slotOf.length < tableRows) {
            int old = slotOf.length;
            slotOf = Arrays.copyOf(slotOf, tableRows);
            Arrays.fill(slotOf, old, tableRows, -1);
        }
    }

    /** Adds row {@code id} to this step's rows (no-op when already there). */
    void touch(long id) {
        int i = Math.toIntExact(id);
        if (slotOf[i] >= 0) {
            return;
        }
        if (size == rows.length) {
            rows = Arrays.copyOf(rows, size * 2);
        }
        slotOf[i] = size;
        rows[size++] = id;
    }

    /**
     * Gathers every row touched since the last step from {@code table} into a leaf in {@code scope} that
     * requires gradients, and returns the view a forward pass reads rows through.
     */
    EmbeddingRows gather(NDManager scope, NDArray table) {
        boolean gradMode = JniUtils.isGradMode();
        // A copy outside the graph: backward must stop at the leaf and never reach the table.
        JniUtils.setGradMode(false);
        try {
            leaf = table.get(scope, new NDIndex("{}", scope.create(Arrays.copyOf(rows, size))));
        } finally {
            JniUtils.setGradMode(gradMode);
        }
        leaf.setRequiresGradient(true);
        return EmbeddingRows.gathered(leaf, slotOf, rows[0]);
    }

    /** After backward: adds the leaf's gradient to the sums, which from now on live in {@code owner}. */
    void collect(NDManager owner) {
        if (leaf == null) {
            return;
        }
        NDArray gradient = leaf.getGradient();
        NDArray sum;
        if (values == null) {
            sum = gradient;
        } else {
            long missing = size - values.getShape().get(0);
            if (missing == 0) {
                sum = gradient.add(values);
            } else {
                try (NDArray zeros = gradient.getManager().zeros(new Shape(missing, dModel));
                        NDArray padded = values.concat(zeros, 0)) {
                    sum = gradient.add(padded);
                }
            }
            gradient.close();
            values.close();
        }
        sum.attach(owner);
        values = sum;
        leaf = null;
    }

    boolean isEmpty() {
        return size == 0;
    }

    int size() {
        return size;
    }

    /** The touched ids in slot order: the first {@link #size()} entries (live; do not change). */
    long[] ids() {
        return rows;
    }

    /** The touched ids as an int64 array in {@code manager}, in slot order. */
    NDArray rowIndex(NDManager manager) {
        return manager.create(Arrays.copyOf(rows, size));
    }

    /** The summed gradients, one row per touched id in slot order (live; do not close). */
    NDArray values() {
        return values;
    }

    /** Forgets every row, after an optimizer step applied them. */
    void clear() {
        for (int i = 0; i < size; i++) {
            slotOf[(int) rows[i]] = -1;
        }
        size = 0;
        if (values != null) {
            values.close();
            values = null;
        }
        leaf = null;
    }

    /** Copies of the ids (int64) and summed gradients, for a checkpoint; empty arrays when nothing is pending. */
    NDList snapshot(NDManager manager) {
        NDArray ids = manager.create(Arrays.copyOf(rows, size));
        NDArray sums = values == null ? manager.zeros(new Shape(0, dModel)) : values.duplicate();
        sums.attach(manager);
        return new NDList(ids, sums);
    }

    /** Replaces the pending rows with ones saved by {@link #snapshot}; the arrays are closed or adopted. */
    void restore(NDArray ids, NDArray sums, NDManager owner) {
        clear();
        for (long id : ids.toLongArray()) {
            touch(id);
        }
        ids.close();
        if (size == 0) {
            sums.close();
            return;
        }
        sums.attach(owner);
        values = NativeArrays.own(sums);
    }

    @Override
    public void close() {
        clear();
    }
}
