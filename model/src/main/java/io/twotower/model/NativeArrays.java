package io.twotower.model;

import ai.djl.ndarray.NDArray;

/**
 * Moves long-lived state (parameters, optimizer moments, carried gradients) into memory libtorch allocated
 * itself. Arrays made from Java data or decoded from a checkpoint are {@code from_blob} views of direct
 * ByteBuffers: valid only while their Java object lives, and counted against the JVM's direct-memory limit,
 * which a Flink TaskManager sets to its (small) off-heap budget, not to the size of an embedding table.
 * (Also tried as a cause of run-to-run differences through the alignment of those buffers: the failover
 * ITCases were bit-identical without it too, so it is not one.)
 */
public final class NativeArrays {
    private NativeArrays() {}

    /** A libtorch-owned copy of {@code array} in the same manager; {@code array} is closed. */
    public static NDArray own(NDArray array) {
        NDArray copy = array.duplicate();
        copy.attach(array.getManager());
        array.close();
        return copy;
    }
}
