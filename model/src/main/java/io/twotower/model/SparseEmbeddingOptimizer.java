package io.twotower.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;

/**
 * Row-wise updates of the embedding tables (table 0: users, 1: items) from the rows an optimizer step
 * touched and their summed gradients ({@code embedding_optimizer: lazy_adamw | rowwise_adagrad}): each step
 * gathers those rows of the table and of the optimizer state, updates them and writes them back, so it
 * costs O(touched rows x d) however large the table. Rows a step did not touch, and their state, are left
 * exactly as they are. Runs with grad mode off, as torch's optimizers run under no_grad.
 *
 * <p>Both apply {@code weight_decay} decoupled, to the touched rows only: row *= 1 - lr * weight_decay
 * before the update (torch.optim.AdamW's form; FBGEMM's weight_decay_mode DECOUPLED for row-wise Adagrad).
 */
public abstract class SparseEmbeddingOptimizer {
    /** Number of tables: users, items. */
    static final int TABLES = 2;

    /** Fresh state for tables of the given row counts and width. */
    static SparseEmbeddingOptimizer create(TwoTowerConfig config, NDManager manager, long[] rows, int dModel) {
        switch (config.embeddingOptimizer()) {
            case "lazy_adamw":
                return LazyAdamW.create(manager, rows, dModel, config.adamBeta2());
            case "rowwise_adagrad":
                return RowWiseAdagrad.create(manager, rows, config.adagradEps(), config.adagradInitialAccumulator());
            default:
                throw new IllegalArgumentException("embedding_optimizer " + config.embeddingOptimizer() + " is not sparse");
        }
    }

    /** State saved by {@link #state()}; the arrays are adopted (moved into libtorch-owned memory). */
    static SparseEmbeddingOptimizer restore(TwoTowerConfig config, NDManager manager, NDList state) {
        NDArray[] arrays = new NDArray[state.size()];
        for (int i = 0; i < arrays.length; i++) {
            NDArray a = state.get(i);
            a.attach(manager);
            arrays[i] = NativeArrays.own(a);
        }
        switch (config.embeddingOptimizer()) {
            case "lazy_adamw":
                return new LazyAdamW(arrays, config.adamBeta2());
            case "rowwise_adagrad":
                return new RowWiseAdagrad(arrays, config.adagradEps(), config.adagradInitialAccumulator());
            default:
                throw new IllegalArgumentException("embedding_optimizer " + config.embeddingOptimizer() + " is not sparse");
        }
    }

    /**
     * Updates rows {@code rows} (int64, distinct) of {@code table} in place from their summed gradients
     * {@code gradients} (one row each); {@code step} is the optimizer step being taken, from 1.
     */
    abstract void step(int table, NDArray parameter, NDArray rows, NDArray gradients, double lr, double weightDecay,
            long step);

    /** The optimizer state, for a checkpoint (live arrays). */
    abstract NDList state();

    /** Floats of state per row (lazy_adamw: m and v, 2 x d; rowwise_adagrad: the accumulator, 1). */
    abstract int rowStateWidth(int dModel);

    /** The state of rows {@code rows} of table {@code table}, one row each, in {@code scope}. */
    abstract NDArray rowState(NDManager scope, int table, NDIndex rows);

    /** Sets the state of rows {@code rows} of table {@code table} from {@link #rowState}'s layout. */
    abstract void setRowState(int table, NDIndex rows, NDArray state);

    /** Extends table {@code table}'s state to {@code rows} rows, for a grown vocabulary. */
    abstract void growRows(int table, long rows);

    /** Decoupled weight decay's factor; as torch.optim.AdamW, 1 - lr * weight_decay. */
    static float decay(double lr, double weightDecay) {
        return (float) (1 - lr * weightDecay);
    }

    static NDArray appendRows(NDArray state, NDArray extra) {
        NDManager manager = state.getManager();
        NDArray grown = state.concat(extra, 0);
        grown.attach(manager);
        state.close();
        extra.close();
        return grown;
    }

    /**
     * torch.optim.SparseAdam's update (torch/optim/_functional.py, sparse_adam) of the touched rows, plus
     * decoupled weight decay. With g a row's summed gradient, m and v its moments and t the global step:
     * <pre>
     *   m = m + (1 - beta1) * (g - m);   v = v + (1 - beta2) * (g^2 - v)
     *   row = row * (1 - lr * weight_decay) - lr * sqrt(1 - beta2^t) / (1 - beta1^t) * m / (sqrt(v) + eps)
     * </pre>
     * beta1 0.9, beta2 {@code adam_beta2} (0.999 by default), eps 1e-8 (AdamW's). Moments of untouched rows are not decayed; the bias
     * correction uses the global step count, as SparseAdam's per-parameter count equals it when every step
     * touches the table. Note eps is added to sqrt(v), not to sqrt(v / (1 - beta2^t)) as in dense AdamW.
     */
    static final class LazyAdamW extends SparseEmbeddingOptimizer {
        /** m of the user table, v of the user table, m of the item table, v of the item table. */
        private final NDArray[] moments;
        private final double beta2;

        private LazyAdamW(NDArray[] moments, double beta2) {
            this.beta2 = beta2;
            if (moments.length != 2 * TABLES) {
                throw new IllegalArgumentException("lazy_adamw state needs " + 2 * TABLES + " arrays, got " + moments.length);
            }
            this.moments = moments;
        }

        static LazyAdamW create(NDManager manager, long[] rows, int dModel, double beta2) {
            NDArray[] moments = new NDArray[2 * TABLES];
            for (int t = 0; t < TABLES; t++) {
                moments[2 * t] = manager.zeros(new Shape(rows[t], dModel));
                moments[2 * t + 1] = manager.zeros(new Shape(rows[t], dModel));
            }
            return new LazyAdamW(moments, beta2);
        }

        @Override
        void step(int table, NDArray parameter, NDArray rows, NDArray gradients, double lr, double weightDecay,
                long step) {
            double biasCorrection1 = 1 - Math.pow(AdamW.BETA1, step);
            double biasCorrection2 = 1 - Math.pow(beta2, step);
            double stepSize = lr * Math.sqrt(biasCorrection2) / biasCorrection1;
            NDArray first = moments[2 * table];
            NDArray second = moments[2 * table + 1];
            try (NDManager scope = parameter.getManager().newSubManager()) {
                NDIndex at = new NDIndex("{}", rows);
                NDArray g = gradients.duplicate();
                g.attach(scope);
                NDArray m = first.get(scope, at);
                NDArray v = second.get(scope, at);
                NDArray p = parameter.get(scope, at);
                NDArray newM = g.sub(m).mul(GraphScalars.of(scope, (float) (1 - AdamW.BETA1))).add(m);
                NDArray newV = g.square().sub(v).mul(GraphScalars.of(scope, (float) (1 - beta2))).add(v);
                NDArray update = newM.div(newV.sqrt().add(GraphScalars.of(scope, (float) AdamW.EPS)))
                        .mul(GraphScalars.of(scope, (float) stepSize));
                NDArray newP = p.mul(GraphScalars.of(scope, decay(lr, weightDecay))).sub(update);
                first.set(at, newM);
                second.set(at, newV);
                parameter.set(at, newP);
            }
        }

        @Override
        NDList state() {
            return new NDList(moments);
        }

        @Override
        int rowStateWidth(int dModel) {
            return 2 * dModel;
        }

        @Override
        NDArray rowState(NDManager scope, int table, NDIndex rows) {
            return moments[2 * table].get(scope, rows).concat(moments[2 * table + 1].get(scope, rows), 1);
        }

        @Override
        void setRowState(int table, NDIndex rows, NDArray state) {
            long d = moments[2 * table].getShape().get(1);
            moments[2 * table].set(rows, state.get(new NDIndex(":, 0:{}", d)));
            moments[2 * table + 1].set(rows, state.get(new NDIndex(":, {}:", d)));
        }

        @Override
        void growRows(int table, long rows) {
            for (int k = 2 * table; k < 2 * table + 2; k++) {
                long have = moments[k].getShape().get(0);
                if (rows > have) {
                    moments[k] = appendRows(moments[k],
                            moments[k].getManager().zeros(new Shape(rows - have, moments[k].getShape().get(1))));
                }
            }
        }
    }

    /**
     * FBGEMM's EXACT_ROWWISE_ADAGRAD (TorchRec's default for large tables): one accumulator s per row. With g
     * the row's summed gradient (d elements):
     * <pre>
     *   s = s + mean_j(g_j^2);   row = row * (1 - lr * weight_decay) - lr / (sqrt(s) + eps) * g
     * </pre>
     * s starts at {@code adagrad_initial_accumulator}; eps is {@code adagrad_eps}.
     */
    static final class RowWiseAdagrad extends SparseEmbeddingOptimizer {
        /** Accumulators of the user table, then the item table (one float per row). */
        private final NDArray[] accumulators;
        private final double eps;
        private final double initialAccumulator;

        private RowWiseAdagrad(NDArray[] accumulators, double eps, double initialAccumulator) {
            if (accumulators.length != TABLES) {
                throw new IllegalArgumentException("rowwise_adagrad state needs " + TABLES + " arrays, got "
                        + accumulators.length);
            }
            this.accumulators = accumulators;
            this.eps = eps;
            this.initialAccumulator = initialAccumulator;
        }

        static RowWiseAdagrad create(NDManager manager, long[] rows, double eps, double initialAccumulator) {
            NDArray[] accumulators = new NDArray[TABLES];
            for (int t = 0; t < TABLES; t++) {
                accumulators[t] = manager.full(new Shape(rows[t]), (float) initialAccumulator);
            }
            return new RowWiseAdagrad(accumulators, eps, initialAccumulator);
        }

        @Override
        void step(int table, NDArray parameter, NDArray rows, NDArray gradients, double lr, double weightDecay,
                long step) {
            NDArray accumulator = accumulators[table];
            try (NDManager scope = parameter.getManager().newSubManager()) {
                NDIndex at = new NDIndex("{}", rows);
                NDArray g = gradients.duplicate();
                g.attach(scope);
                NDArray s = accumulator.get(scope, at);
                NDArray p = parameter.get(scope, at);
                NDArray newS = s.add(g.square().mean(new int[] {1}));
                NDArray multiplier = GraphScalars.of(scope, (float) lr)
                        .div(newS.sqrt().add(GraphScalars.of(scope, (float) eps)));
                NDArray newP = p.mul(GraphScalars.of(scope, decay(lr, weightDecay)))
                        .sub(g.mul(multiplier.expandDims(1)));
                accumulator.set(at, newS);
                parameter.set(at, newP);
            }
        }

        @Override
        NDList state() {
            return new NDList(accumulators);
        }

        @Override
        int rowStateWidth(int dModel) {
            return 1;
        }

        @Override
        NDArray rowState(NDManager scope, int table, NDIndex rows) {
            return accumulators[table].get(scope, rows).expandDims(1);
        }

        @Override
        void setRowState(int table, NDIndex rows, NDArray state) {
            accumulators[table].set(rows, state.squeeze(1));
        }

        @Override
        void growRows(int table, long rows) {
            long have = accumulators[table].getShape().get(0);
            if (rows > have) {
                accumulators[table] = appendRows(accumulators[table],
                        accumulators[table].getManager().full(new Shape(rows - have), (float) initialAccumulator));
            }
        }
    }
}
