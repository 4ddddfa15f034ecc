package io.twotower.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * The only way graph code (anything that runs between {@code setGradMode(true)} and backward) makes a
 * constant: a 0-dimensional tensor allocated by libtorch itself.
 *
 * <p><b>The rule that keeps gradients right.</b> Autograd keeps, for the backward pass, tensors that an
 * operation read: the scalar of {@code x.mul(s)}, the bound of {@code maximum}, the indices of a gather,
 * the weights of a weighted sum. A tensor built from Java memory ({@code NDManager.create(float[] / long[]
 * / Buffer)}) is {@code torch::from_blob} over a direct ByteBuffer that only its Java NDArray references;
 * once that NDArray is closed and the buffer collected, backward reads freed memory. So, in graph code:
 * <ul>
 *   <li>never call an NDArray method with a {@code Number} argument ({@code mul(0.5f)}, {@code div(n)},
 *       {@code maximum(eps)}, ...): DJL 0.36 builds that scalar from a direct buffer and closes it at once.
 *       Use {@link #of} instead; {@code GraphScalarsGuardTest} fails the build on a Number overload in
 *       this module's graph code;</li>
 *   <li>an array made from Java data (batch ids, slots, pooling weights, logQ offsets) is created in the
 *       step's scope and stays open until the scope closes, after backward.</li>
 * </ul>
 * Code that runs with grad mode off and keeps no graph (the optimizer step, evaluation) may use the
 * Number overloads: the scalar is read before the call returns.
 */
public final class GraphScalars {
    private static final Shape SCALAR = new Shape();

    private GraphScalars() {}

    /** A float32 scalar owned by libtorch, in {@code manager} (its device), safe for autograd to keep. */
    public static NDArray of(NDManager manager, float value) {
        return manager.full(SCALAR, value);
    }
}
