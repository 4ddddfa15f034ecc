package io.twotower.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.LayerNorm;
import io.twotower.common.SplitMix64;

import java.util.ArrayList;
import java.util.List;

/**
 * The user tower of {@code model: sequence}: a causal Transformer encoder over a user's recent items, SASRec's
 * (Kang and McAuley, 2018) blocks: scaled item embeddings plus learned positions, then per block a LayerNorm'd query
 * attending to the block's input, a residual, a LayerNorm and a point-wise feed-forward with a residual, and a last
 * LayerNorm. tools/golden/make_sequence_golden.py is its definition and the golden test's reference.
 *
 * <p>Histories are left-padded to {@code maxLength} slots, so the latest item is always in the last slot. Padded
 * slots are masked as keys (an additive -1e9, not -inf, so a fully padded row stays finite) and zeroed after each
 * block: a real slot's output does not depend on how much padding precedes it, which lets a reader compute a user
 * vector from the unpadded history.
 *
 * <p>DJL's transformer blocks ({@code ai.djl.nn.transformer}) are not used: their attention scales and masks scores
 * through {@code Number} overloads, whose Java-backed scalars autograd may keep past their lifetime (see
 * {@link GraphScalars}), and they manage parameters through DJL's Block store, while every parameter here must be a
 * named array the optimizers, checkpoints and snapshots address directly. The functional ops (linear, layer norm,
 * softmax, matMul) are DJL's.
 */
public final class SequenceEncoder {
    /** SASRec's LayerNorm epsilon. */
    public static final float LAYER_NORM_EPS = 1e-8f;
    /** The additive attention mask of a slot that may not be attended to. */
    private static final float MASKED = -1e9f;

    private final int dModel;
    private final int maxLength;
    private final int heads;
    private final float dropout;
    private final NDArray position;
    private final List<Block> blocks;
    private final NDArray lastNormWeight;
    private final NDArray lastNormBias;

    /** One attention + feed-forward block, its arrays named as the PyTorch reference's state_dict. */
    private static final class Block {
        final NDArray attnNormWeight;
        final NDArray attnNormBias;
        /** (3d, d): query, key and value projections stacked, as nn.MultiheadAttention's in_proj_weight. */
        final NDArray attnInWeight;
        final NDArray attnInBias;
        final NDArray attnOutWeight;
        final NDArray attnOutBias;
        final NDArray ffnNormWeight;
        final NDArray ffnNormBias;
        final NDArray ffnInWeight;
        final NDArray ffnInBias;
        final NDArray ffnOutWeight;
        final NDArray ffnOutBias;

        Block(NDArray[] a, int from) {
            attnNormWeight = a[from];
            attnNormBias = a[from + 1];
            attnInWeight = a[from + 2];
            attnInBias = a[from + 3];
            attnOutWeight = a[from + 4];
            attnOutBias = a[from + 5];
            ffnNormWeight = a[from + 6];
            ffnNormBias = a[from + 7];
            ffnInWeight = a[from + 8];
            ffnInBias = a[from + 9];
            ffnOutWeight = a[from + 10];
            ffnOutBias = a[from + 11];
        }

        NDArray[] arrays() {
            return new NDArray[] {attnNormWeight, attnNormBias, attnInWeight, attnInBias, attnOutWeight, attnOutBias,
                ffnNormWeight, ffnNormBias, ffnInWeight, ffnInBias, ffnOutWeight, ffnOutBias};
        }
    }

    /** Arrays per block, in {@link #parameterNames} order. */
    static final int ARRAYS_PER_BLOCK = 12;

    private SequenceEncoder(int dModel, int maxLength, int heads, float dropout, NDArray[] arrays) {
        int blockCount = (arrays.length - 3) / ARRAYS_PER_BLOCK;
        if (arrays.length != 3 + blockCount * ARRAYS_PER_BLOCK) {
            throw new IllegalArgumentException("a sequence encoder has 3 + 12 per block arrays, got " + arrays.length);
        }
        for (int i = 0; i < arrays.length; i++) {
            arrays[i] = NativeArrays.own(arrays[i]);
            arrays[i].setRequiresGradient(true);
        }
        this.dModel = dModel;
        this.maxLength = maxLength;
        this.heads = heads;
        this.dropout = dropout;
        this.position = arrays[0];
        this.blocks = new ArrayList<>(blockCount);
        for (int b = 0; b < blockCount; b++) {
            blocks.add(new Block(arrays, 1 + b * ARRAYS_PER_BLOCK));
        }
        this.lastNormWeight = arrays[arrays.length - 2];
        this.lastNormBias = arrays[arrays.length - 1];
    }

    /** The number of arrays of an encoder with {@code blocks} blocks. */
    public static int parameterCount(int blocks) {
        return 3 + blocks * ARRAYS_PER_BLOCK;
    }

    /** The parameter names, in {@link #parameters()} order, as the PyTorch reference's state_dict names them. */
    public static String[] parameterNames(int blocks) {
        List<String> names = new ArrayList<>();
        names.add("encoder.position.weight");
        String[] parts = {"attn_norm.weight", "attn_norm.bias", "attn.in_proj_weight", "attn.in_proj_bias",
            "attn.out_proj.weight", "attn.out_proj.bias", "ffn_norm.weight", "ffn_norm.bias", "ffn_in.weight",
            "ffn_in.bias", "ffn_out.weight", "ffn_out.bias"};
        for (int b = 0; b < blocks; b++) {
            for (String part : parts) {
                names.add("encoder.blocks." + b + "." + part);
            }
        }
        names.add("encoder.last_norm.weight");
        names.add("encoder.last_norm.bias");
        return names.toArray(new String[0]);
    }

    /**
     * A fresh encoder initialised as the SASRec reference implementation does: Xavier-normal 2-D weights (positions,
     * projections, feed-forward), zero attention biases, PyTorch's default uniform feed-forward biases, LayerNorms 1/0.
     */
    public static SequenceEncoder initialise(NDManager manager, TwoTowerConfig config, SplitMix64 rng) {
        int d = config.dModel();
        int length = config.historyLength();
        int blockCount = config.sequenceBlocks();
        NDArray[] a = new NDArray[parameterCount(blockCount)];
        a[0] = xavier(manager, rng, length, d);
        for (int b = 0; b < blockCount; b++) {
            int at = 1 + b * ARRAYS_PER_BLOCK;
            a[at] = manager.ones(new Shape(d));
            a[at + 1] = manager.zeros(new Shape(d));
            a[at + 2] = xavier(manager, rng, 3L * d, d);
            a[at + 3] = manager.zeros(new Shape(3L * d));
            a[at + 4] = xavier(manager, rng, d, d);
            a[at + 5] = manager.zeros(new Shape(d));
            a[at + 6] = manager.ones(new Shape(d));
            a[at + 7] = manager.zeros(new Shape(d));
            a[at + 8] = xavier(manager, rng, d, d);
            a[at + 9] = manager.create(Tower.uniform(rng, d, 1.0 / Math.sqrt(d)), new Shape(d));
            a[at + 10] = xavier(manager, rng, d, d);
            a[at + 11] = manager.create(Tower.uniform(rng, d, 1.0 / Math.sqrt(d)), new Shape(d));
        }
        a[a.length - 2] = manager.ones(new Shape(d));
        a[a.length - 1] = manager.zeros(new Shape(d));
        return new SequenceEncoder(d, length, config.sequenceHeads(), (float) config.dropout(), a);
    }

    /** An encoder over existing arrays (a checkpoint, a snapshot or a golden file), in {@link #parameterNames} order. */
    public static SequenceEncoder of(TwoTowerConfig config, NDArray[] arrays) {
        long length = arrays[0].getShape().get(0);
        if (length != config.historyLength() || arrays[0].getShape().get(1) != config.dModel()) {
            throw new IllegalArgumentException("the saved sequence encoder's positions are " + arrays[0].getShape()
                    + ", the configuration wants (" + config.historyLength() + ", " + config.dModel()
                    + ") (history_length, d_model)");
        }
        return new SequenceEncoder(config.dModel(), (int) length, config.sequenceHeads(), (float) config.dropout(),
                arrays);
    }

    /** The standard deviation of Xavier-normal init of a (rows, cols) weight: sqrt(2 / (fan_in + fan_out)). */
    static double xavierStd(long rows, long cols) {
        return Math.sqrt(2.0 / (rows + cols));
    }

    private static NDArray xavier(NDManager manager, SplitMix64 rng, long rows, long cols) {
        return manager.create(Tower.normal(rng, rows * cols, xavierStd(rows, cols)), new Shape(rows, cols));
    }

    /**
     * The encoder's output at every slot, (n, maxLength, d): {@code embedded} holds the slots' item embeddings
     * (n, maxLength, d), {@code valid[i * maxLength + j]} whether slot j of row i holds an item (left-padded).
     * Padded slots' outputs are 0. Arrays are created in {@code scope}, which must live until after backward.
     */
    public NDArray forward(NDManager scope, NDArray embedded, boolean[] valid, int n, boolean training) {
        int length = maxLength;
        float[] keepValues = new float[n * length];
        float[] maskValues = new float[n * length * length];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < length; j++) {
                keepValues[i * length + j] = valid[i * length + j] ? 1f : 0f;
                for (int k = 0; k < length; k++) {
                    boolean allowed = k <= j && valid[i * length + k];
                    maskValues[(i * length + j) * length + k] = allowed ? 0f : MASKED;
                }
            }
        }
        NDArray keep = scope.create(keepValues, new Shape(n, length, 1));
        NDArray mask = scope.create(maskValues, new Shape(n, 1, length, length));
        NDArray x = embedded.mul(GraphScalars.of(scope, (float) Math.sqrt(dModel))).add(position.expandDims(0));
        if (training && dropout > 0) {
            x = Tower.dropout(x, dropout);
        }
        x = x.mul(keep);
        for (Block block : blocks) {
            x = block(scope, block, x, mask, n, training).mul(keep);
        }
        return layerNorm(x, lastNormWeight, lastNormBias).mul(keep);
    }

    /** The last slot's output of every row, (n, d): the user vectors. */
    public static NDArray lastSlot(NDArray outputs) {
        long length = outputs.getShape().get(1);
        return outputs.get(new NDIndex(":, {}, :", length - 1));
    }

    private NDArray block(NDManager scope, Block block, NDArray x, NDArray mask, int n, boolean training) {
        int length = maxLength;
        int headSize = dModel / heads;
        NDArray q = layerNorm(x, block.attnNormWeight, block.attnNormBias);
        // The query is projected from the normalised input, keys and values from the block's input (SASRec).
        NDArray query = Linear.linear(q, block.attnInWeight.get(new NDIndex("0:{}", dModel)),
                block.attnInBias.get(new NDIndex("0:{}", dModel))).singletonOrThrow();
        NDArray keyValue = Linear.linear(x, block.attnInWeight.get(new NDIndex("{}:", dModel)),
                block.attnInBias.get(new NDIndex("{}:", dModel))).singletonOrThrow();
        NDArray key = keyValue.get(new NDIndex(":, :, 0:{}", dModel));
        NDArray value = keyValue.get(new NDIndex(":, :, {}:", dModel));
        Shape split = new Shape(n, length, heads, headSize);
        NDArray qh = query.reshape(split).transpose(0, 2, 1, 3);
        NDArray kh = key.reshape(split).transpose(0, 2, 3, 1);
        NDArray vh = value.reshape(split).transpose(0, 2, 1, 3);
        NDArray scores = qh.matMul(kh).mul(GraphScalars.of(scope, (float) (1.0 / Math.sqrt(headSize)))).add(mask);
        NDArray weights = scores.softmax(-1);
        if (training && dropout > 0) {
            weights = Tower.dropout(weights, dropout);
        }
        NDArray context = weights.matMul(vh).transpose(0, 2, 1, 3).reshape(new Shape(n, length, dModel));
        NDArray attended = Linear.linear(context, block.attnOutWeight, block.attnOutBias).singletonOrThrow();
        NDArray y = layerNorm(q.add(attended), block.ffnNormWeight, block.ffnNormBias);
        NDArray f = Linear.linear(y, block.ffnInWeight, block.ffnInBias).singletonOrThrow();
        if (training && dropout > 0) {
            f = Tower.dropout(f, dropout);
        }
        f = Linear.linear(Activation.relu(f), block.ffnOutWeight, block.ffnOutBias).singletonOrThrow();
        if (training && dropout > 0) {
            f = Tower.dropout(f, dropout);
        }
        return y.add(f);
    }

    private NDArray layerNorm(NDArray x, NDArray weight, NDArray bias) {
        return LayerNorm.layerNorm(x, new Shape(dModel), weight, bias, LAYER_NORM_EPS).singletonOrThrow();
    }

    /** Every array, in {@link #parameterNames} order; the optimizer updates them in place. */
    public NDArray[] parameters() {
        List<NDArray> all = new ArrayList<>();
        all.add(position);
        for (Block block : blocks) {
            all.addAll(List.of(block.arrays()));
        }
        all.add(lastNormWeight);
        all.add(lastNormBias);
        return all.toArray(new NDArray[0]);
    }

    public NDList parameterList() {
        return new NDList(parameters());
    }

    public int maxLength() {
        return maxLength;
    }

    public int heads() {
        return heads;
    }

    public int blocks() {
        return blocks.size();
    }
}
