package io.twotower.model;

import ai.djl.ndarray.NDArray;

/**
 * Moves long-lived state (parameters, optimizer moments, carried gradients) into memory libtorch
 * allocated itself. Arrays made from Java data or decoded from a checkpoint are {@code from_blob} views
 * of direct ByteBuffers: valid only while their Java object lives, and aligned however the JVM's allocator
 * left them. Math kernels may take other code paths on other alignments (and round differently), so a
 * restored run would not repeat a clean one bit for bit; libtorch's allocator aligns every array alike.
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
