package io.twotower.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Embedding;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.LayerNorm;

import io.twotower.common.SplitMix64;
import java.util.List;

/**
 * One tower of the seed model: Embedding(n, d), then [Linear(d, d), LayerNorm, ReLU, Dropout] twice, then
 * L2 normalisation, exactly as the notebook's {@code make_tower}. Parameters are plain NDArrays owned here
 * so the optimizer, checkpoints and snapshots can address them by name.
 */
public final class Tower {
    /** PyTorch's LayerNorm epsilon. */
    private static final float LAYER_NORM_EPS = 1e-5f;
    /** F.normalize's epsilon. */
    private static final float NORMALIZE_EPS = 1e-12f;

    /** The notebook's embedding init: N(0, 0.1). */
    public static final double EMBEDDING_STD = 0.1;

    private final String name;
    private final int dModel;
    private final float dropout;
    private final NDArray[] parameters;
    /** The standard deviation new embedding rows are drawn with (a grown vocabulary), as the table's own init. */
    private final double rowStd;

    /**
     * {@code nativeTable}: the embedding table is already in memory libtorch allocated (filled in chunks), so it is
     * adopted as it is rather than copied by {@link NativeArrays#own}, which would hold it twice for a moment.
     */
    private Tower(String name, int dModel, float dropout, NDArray[] parameters, boolean nativeTable, double rowStd) {
        this.name = name;
        this.dModel = dModel;
        this.dropout = dropout;
        this.parameters = parameters;
        this.rowStd = rowStd;
        for (int i = 0; i < parameters.length; i++) {
            if (i > 0 || !nativeTable) {
                parameters[i] = NativeArrays.own(parameters[i]);
            }
            parameters[i].setRequiresGradient(true);
        }
    }

    /** The parameter names, in the order of {@link #parameters()}, as PyTorch's state_dict names them. */
    public static String[] parameterNames(String prefix) {
        return new String[] {
            prefix + "_emb.weight",
            prefix + "_mlp.0.weight", prefix + "_mlp.0.bias", prefix + "_mlp.1.weight", prefix + "_mlp.1.bias",
            prefix + "_mlp.4.weight", prefix + "_mlp.4.bias", prefix + "_mlp.5.weight", prefix + "_mlp.5.bias"
        };
    }

    /** A freshly initialised tower: embeddings N(0, 0.1), Linear layers as PyTorch's default init. */
    public static Tower initialise(String name, NDManager manager, int rows, int dModel, float dropout, SplitMix64 rng) {
        return initialise(name, manager, rows, dModel, dropout, rng, ChunkedArrays.DEFAULT_CHUNK_BYTES, EMBEDDING_STD);
    }

    /** As above with embeddings N(0, {@code embeddingStd}) (the sequence model's Xavier-normal table). */
    static Tower initialise(String name, NDManager manager, int rows, int dModel, float dropout, SplitMix64 rng,
            double embeddingStd) {
        return initialise(name, manager, rows, dModel, dropout, rng, ChunkedArrays.DEFAULT_CHUNK_BYTES, embeddingStd);
    }

    /**
     * As above, drawing the embedding table {@code chunkBytes} of rows at a time straight into libtorch memory: the
     * same numbers in the same order as one draw of the whole table, with no table-sized {@code float[]} on the heap.
     */
    static Tower initialise(String name, NDManager manager, int rows, int dModel, float dropout, SplitMix64 rng,
            int chunkBytes, double embeddingStd) {
        NDArray[] p = new NDArray[9];
        p[0] = normalTable(manager, rows, dModel, rng, chunkBytes, embeddingStd);
        for (int layer = 0; layer < 2; layer++) {
            int base = 1 + layer * 4;
            // nn.Linear: kaiming_uniform(a=sqrt(5)) gives U(-1/sqrt(fan_in), 1/sqrt(fan_in)); bias the same.
            double bound = 1.0 / Math.sqrt(dModel);
            p[base] = manager.create(uniform(rng, (long) dModel * dModel, bound), new Shape(dModel, dModel));
            p[base + 1] = manager.create(uniform(rng, dModel, bound), new Shape(dModel));
            p[base + 2] = manager.ones(new Shape(dModel));
            p[base + 3] = manager.zeros(new Shape(dModel));
        }
        return new Tower(name, dModel, dropout, p, true, embeddingStd);
    }

    /** A rows x dModel table of N(0, std) draws in row-major order, allocated by libtorch and filled in row chunks. */
    private static NDArray normalTable(NDManager manager, long rows, int dModel, SplitMix64 rng, int chunkBytes,
            double std) {
        NDArray table = manager.zeros(new Shape(rows, dModel));
        long perChunk = Math.max(1, chunkBytes / (4L * dModel));
        for (long start = 0; start < rows; start += perChunk) {
            long end = Math.min(rows, start + perChunk);
            float[] values = normal(rng, (end - start) * dModel, std);
            try (NDArray chunk = manager.create(values, new Shape(end - start, dModel))) {
                table.set(new NDIndex("{}:{}", start, end), chunk);
            }
        }
        return table;
    }

    /** A tower over existing parameter arrays (restored from a checkpoint or a golden file). */
    public static Tower of(String name, float dropout, NDArray[] parameters) {
        return of(name, dropout, parameters, false);
    }

    /** As above; {@code nativeTable}: the table was allocated by libtorch (e.g. {@link ChunkedArrays#read}). */
    static Tower of(String name, float dropout, NDArray[] parameters, boolean nativeTable) {
        return of(name, dropout, parameters, nativeTable, EMBEDDING_STD);
    }

    /** As above; rows a vocabulary adds later are drawn N(0, {@code rowStd}). */
    static Tower of(String name, float dropout, NDArray[] parameters, boolean nativeTable, double rowStd) {
        if (parameters.length != 9) {
            throw new IllegalArgumentException(name + " tower needs 9 parameter arrays, got " + parameters.length);
        }
        return new Tower(name, (int) parameters[0].getShape().get(1), dropout, parameters, nativeTable, rowStd);
    }

    static float[] normal(SplitMix64 rng, long n, double std) {
        float[] out = new float[Math.toIntExact(n)];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) (rng.nextGaussian() * std);
        }
        return out;
    }

    static float[] uniform(SplitMix64 rng, long n, double bound) {
        float[] out = new float[Math.toIntExact(n)];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) ((rng.nextDouble() * 2 - 1) * bound);
        }
        return out;
    }

    /** L2-normalised output vectors for the given row indices (int64). */
    public NDArray forward(NDArray ids, boolean training) {
        return forwardInput(embed(ids), training);
    }

    /** Rows of this tower's embedding table (a differentiable gather). */
    public NDArray embed(NDArray ids) {
        return Embedding.embedding(ids, parameters[0], SparseFormat.DENSE).singletonOrThrow();
    }

    /** The tower's layers and L2 normalisation over an input of shape (n, d_model). */
    public NDArray forwardInput(NDArray input, boolean training) {
        NDArray x = input;
        for (int layer = 0; layer < 2; layer++) {
            int base = 1 + layer * 4;
            x = Linear.linear(x, parameters[base], parameters[base + 1]).singletonOrThrow();
            x = LayerNorm.layerNorm(x, new Shape(dModel), parameters[base + 2], parameters[base + 3], LAYER_NORM_EPS)
                    .singletonOrThrow();
            x = Activation.relu(x);
            if (training && dropout > 0) {
                x = dropout(x, dropout);
            }
        }
        return l2Normalise(x);
    }

    /** F.normalize(x, p=2, dim=-1): each row divided by max(its L2 norm, 1e-12). */
    static NDArray l2Normalise(NDArray x) {
        int last = x.getShape().dimension() - 1;
        NDArray norm = x.norm(new int[] {last}, true).maximum(GraphScalars.of(x.getManager(), NORMALIZE_EPS));
        return x.div(norm);
    }

    /**
     * Inverted dropout, as nn.Dropout: each element kept with probability 1 - p and scaled by 1 / (1 - p).
     * The mask comes from one uniform draw compared with p rather than torch's bernoulli_, which took a
     * quarter of a CPU training step (BENCHMARKS.md); same distribution, a different random stream.
     */
    static NDArray dropout(NDArray x, float p) {
        NDManager manager = x.getManager();
        NDArray keep = manager.randomUniform(0f, 1f, x.getShape()).gte(GraphScalars.of(manager, p))
                .toType(DataType.FLOAT32, false);
        return x.mul(keep.muli(GraphScalars.of(manager, 1f / (1f - p))));
    }

    /** Appends more embedding rows (a grown vocabulary), initialised as the table was (N(0, 0.1) in the seed). */
    public void growRows(int newRows, SplitMix64 rng) {
        NDArray old = parameters[0];
        long rows = old.getShape().get(0);
        if (newRows <= rows) {
            return;
        }
        NDManager manager = old.getManager();
        NDArray extra = manager.create(normal(rng, (newRows - rows) * dModel, rowStd), new Shape(newRows - rows, dModel));
        NDArray grown = old.concat(extra, 0);
        grown.attach(manager);
        grown.setRequiresGradient(true);
        parameters[0] = grown;
        extra.close();
        old.close();
    }

    /** The embedding table (the first parameter). */
    public NDArray table() {
        return parameters[0];
    }

    public String name() {
        return name;
    }

    public int rows() {
        return (int) parameters[0].getShape().get(0);
    }

    public int dModel() {
        return dModel;
    }

    /** The live parameter arrays; the optimizer updates them in place. */
    public NDArray[] parameters() {
        return parameters;
    }

    public NDList parameterList() {
        return new NDList(List.of(parameters));
    }
}
