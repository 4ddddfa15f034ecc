package io.twotower.model.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.core.Embedding;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import io.twotower.common.SplitMix64;
import io.twotower.model.AdamW;
import io.twotower.model.TrainingBatch;
import io.twotower.model.TwoTowerConfig;
import io.twotower.model.TwoTowerModel;
import io.twotower.model.TwoTowerTrainer;
import io.twotower.model.UniformNegativeSampler;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Where the training step's time goes, on MovieLens-sized random batches (610 users, 9724 items, batch
 * 512, k 50, d 256): replaces the old StepProfile/OpProfile mains (bench/run-scaling.sh runs it).
 *
 * <pre>
 * StepBreakdown [--iters 12] [--items 9724] [--users 610] [--batch 512] [--profile trace.json]
 * </pre>
 *
 * Times (median ms per micro-batch, warm-up excluded):
 * <ul>
 *   <li>{@code trainBatch}: {@link TwoTowerTrainer#trainBatch}, per micro-batch (AdamW every 2nd, amortised);
 *   <li>{@code gather by v.get}: forward + backward of the trainer's graph as it was before issue 7's
 *       change (gather by advanced indexing {@code v.get(idx)}, backward index_put_ with accumulate;
 *       scores by broadcast multiply + sum), no optimizer;
 *   <li>{@code graph as trainer}: the same with each slot's vector gathered by
 *       {@code torch.embedding(idx, v)} (index_select; backward a dense scatter-add), as
 *       TwoTowerTrainer.batchLoss does now;
 *   <li>{@code + bmm scores}: also the negatives' scores by a batched matmul [B,k,d] x [B,d,1];
 *   <li>{@code towers only}: forward + backward of the two towers alone (user on B rows, item on U rows)
 *       with a trivial loss: what no gather or scoring change can remove;
 *   <li>{@code AdamW}: one {@link AdamW#step} over all parameters, amortised over accum_steps.
 * </ul>
 * With {@code --profile FILE} the trainer's step runs under PyTorch's profiler (JniUtils.startProfile)
 * and the Chrome trace goes to FILE (bench/op_table.py sums it per op).
 */
public final class StepBreakdown {
    private StepBreakdown() {
    }

    public static void main(String[] args) {
        int iters = 12;
        int items = 9724;
        int users = 610;
        int b = 512;
        String profile = null;
        for (int i = 0; i < args.length; i += 2) {
            switch (args[i]) {
                case "--iters": iters = Integer.parseInt(args[i + 1]); break;
                case "--items": items = Integer.parseInt(args[i + 1]); break;
                case "--users": users = Integer.parseInt(args[i + 1]); break;
                case "--batch": b = Integer.parseInt(args[i + 1]); break;
                case "--profile": profile = args[i + 1]; break;
                default: throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        TwoTowerConfig config = TwoTowerConfig.defaults().withValues(java.util.Map.of("batch_size", b), "StepBreakdown");
        int k = config.kNeg();
        try (NDManager root = NDManager.newBaseManager()) {
            // After the engine is loaded: the native library answers only then.
            System.out.printf(Locale.ROOT, "torch threads=%d interop=%d; %d users, %d items, batch %d, k %d, d %d%n",
                    JniUtils.getNumThreads(), JniUtils.getNumInteropThreads(), users, items, b, k, config.dModel());
            TwoTowerTrainer trainer = TwoTowerTrainer.create(config,
                    TwoTowerModel.initialise(root.newSubManager(), config, users, items));
            TwoTowerModel model = trainer.model();
            List<TrainingBatch> batches = new ArrayList<>();
            SplitMix64 rng = new SplitMix64(3);
            UniformNegativeSampler sampler = new UniformNegativeSampler(items);
            int[] neg = new int[k];
            int[] hist = new int[3];
            for (int n = 0; n < 4; n++) {
                TrainingBatch batch = new TrainingBatch(b, k);
                for (int i = 0; i < b; i++) {
                    int pos = rng.nextInt(items);
                    for (int h = 0; h < hist.length; h++) {
                        hist[h] = rng.nextInt(items);
                    }
                    sampler.sample(pos, hist, hist.length, k, rng, neg, 0);
                    batch.add(rng.nextInt(users), pos, neg, 0);
                }
                batches.add(batch);
            }

            // The trainer's own step (even count so AdamW is amortised exactly).
            int steps = 2 * Math.max(2, iters / 2);
            double[] t = new double[steps / 2];
            for (int w = 0; w < 4; w++) {
                trainer.trainBatch(batches.get(w % batches.size()));
            }
            for (int i = 0; i < steps; i += 2) {
                long t0 = System.nanoTime();
                trainer.trainBatch(batches.get(i % batches.size()));
                trainer.trainBatch(batches.get((i + 1) % batches.size()));
                t[i / 2] = (System.nanoTime() - t0) / 2e6;
            }
            report("trainBatch (AdamW amortised)", t, b);

            if (profile != null) {
                JniUtils.startProfile(false, true, false);
                for (int i = 0; i < 4; i++) {
                    trainer.trainBatch(batches.get(i % batches.size()));
                }
                JniUtils.stopProfile(profile);
                System.out.println("profile of 4 micro-batches (2 AdamW steps) written to " + profile);
            }

            for (Variant v : Variant.values()) {
                double[] times = new double[iters];
                for (int i = -3; i < iters; i++) {
                    TrainingBatch batch = batches.get(Math.floorMod(i, batches.size()));
                    long t0 = System.nanoTime();
                    forwardBackward(root, model, batch, v);
                    if (i >= 0) {
                        times[i] = (System.nanoTime() - t0) / 1e6;
                    }
                    for (NDArray p : model.parameters()) {
                        JniUtils.zeroGrad((PtNDArray) p);
                    }
                }
                report(v.label, times, b);
            }

            // AdamW alone, over fake gradients of the parameters' shapes.
            NDArray[] params = model.parameters();
            NDArray[] grads = new NDArray[params.length];
            try (NDManager scope = root.newSubManager()) {
                for (int i = 0; i < params.length; i++) {
                    grads[i] = scope.randomNormal(params[i].getShape()).mul(1e-3);
                }
                AdamW adam = AdamW.create(params, 1e-9, 0);
                double[] times = new double[iters];
                for (int i = -2; i < iters; i++) {
                    long t0 = System.nanoTime();
                    adam.step(params, grads);
                    params[0].getFloat(0, 0);
                    if (i >= 0) {
                        times[i] = (System.nanoTime() - t0) / 1e6 / config.accumSteps();
                    }
                }
                long n = Arrays.stream(params).mapToLong(p -> p.getShape().size()).sum();
                report("AdamW step / accum_steps (" + n + " params)", times, b);
            }
            trainer.close();
        }
    }

    private enum Variant {
        AS_TRAINER("gather by v.get (the trainer before issue 7)"),
        EMBEDDING_GATHER("graph as trainer: gather by embedding (fwd+bwd)"),
        BMM("gather by embedding + bmm scores"),
        TOWERS_ONLY("towers only (user B rows, item U rows)"),
        TOWERS_UNIFORM_DROPOUT("towers only, dropout mask from rand() < keep"),
        TOWERS_NO_DROPOUT("towers only, no dropout (lower bound)");

        final String label;

        Variant(String label) {
            this.label = label;
        }
    }

    private static void forwardBackward(NDManager root, TwoTowerModel model, TrainingBatch batch, Variant variant) {
        int b = batch.size();
        int k = batch.kNeg();
        int d = model.dModel();
        int[] slot = new int[model.numItems()];
        Arrays.fill(slot, -1);
        long[] distinct = new long[b * (k + 1)];
        long[] posSlot = new long[b];
        long[] negSlot = new long[b * k];
        int n = 0;
        for (int i = 0; i < b; i++) {
            int item = batch.positive(i);
            if (slot[item] < 0) {
                slot[item] = n;
                distinct[n++] = item;
            }
            posSlot[i] = slot[item];
        }
        for (int j = 0; j < b * k; j++) {
            int item = batch.negatives()[j];
            if (slot[item] < 0) {
                slot[item] = n;
                distinct[n++] = item;
            }
            negSlot[j] = slot[item];
        }
        try (NDManager scope = root.newSubManager();
                GradientCollector collector = Engine.getInstance().newGradientCollector()) {
            JniUtils.setGradMode(true);
            NDArray users = scope.create(Arrays.copyOf(batch.users(), b));
            NDArray items = scope.create(Arrays.copyOf(distinct, n));
            NDArray u;
            NDArray v;
            if (variant == Variant.TOWERS_UNIFORM_DROPOUT || variant == Variant.TOWERS_NO_DROPOUT) {
                float p = variant == Variant.TOWERS_NO_DROPOUT ? 0f : 0.2f;
                u = tower(model.userTower().parameters(), users, d, p);
                v = tower(model.itemTower().parameters(), items, d, p);
            } else {
                u = model.userVectors(users, true);
                v = model.itemVectors(items, true);
            }
            NDArray loss;
            if (variant == Variant.TOWERS_ONLY || variant == Variant.TOWERS_UNIFORM_DROPOUT
                    || variant == Variant.TOWERS_NO_DROPOUT) {
                loss = u.sum().add(v.sum());
            } else {
                NDArray pos;
                NDArray neg;
                if (variant == Variant.AS_TRAINER) {
                    pos = v.get(scope.create(posSlot));
                    neg = v.get(scope.create(negSlot)).reshape(new Shape(b, k, d));
                } else {
                    pos = Embedding.embedding(scope.create(posSlot), v, SparseFormat.DENSE).singletonOrThrow();
                    neg = Embedding.embedding(scope.create(negSlot), v, SparseFormat.DENSE).singletonOrThrow()
                            .reshape(new Shape(b, k, d));
                }
                NDArray posScores = u.mul(pos).sum(new int[] {1}, true).muli(model.logitScale());
                NDArray negScores;
                if (variant == Variant.BMM) {
                    negScores = neg.batchMatMul(u.expandDims(2)).reshape(new Shape(b, k)).muli(model.logitScale());
                } else {
                    negScores = u.expandDims(1).mul(neg).sum(new int[] {2}).muli(model.logitScale());
                }
                NDArray logits = posScores.concat(negScores, 1);
                loss = logits.logSoftmax(1).get(":, 0").neg().mean();
            }
            collector.backward(loss.div(2));
            JniUtils.setGradMode(false);
            loss.getFloat();
        }
    }

    /** The tower of {@link io.twotower.model.Tower#forward}, with dropout as a uniform-threshold mask. */
    private static NDArray tower(NDArray[] p, NDArray ids, int d, float dropout) {
        NDArray x = Embedding.embedding(ids, p[0], SparseFormat.DENSE).singletonOrThrow();
        for (int layer = 0; layer < 2; layer++) {
            int base = 1 + layer * 4;
            x = ai.djl.nn.core.Linear.linear(x, p[base], p[base + 1]).singletonOrThrow();
            x = ai.djl.nn.norm.LayerNorm.layerNorm(x, new Shape(d), p[base + 2], p[base + 3], 1e-5f).singletonOrThrow();
            x = ai.djl.nn.Activation.relu(x);
            if (dropout > 0) {
                NDArray keep = x.getManager().randomUniform(0f, 1f, x.getShape()).gte(dropout)
                        .toType(ai.djl.ndarray.types.DataType.FLOAT32, false);
                x = x.mul(keep.muli(1f / (1f - dropout)));
            }
        }
        return x.div(x.norm(new int[] {1}, true).maximum(1e-12f));
    }

    private static void report(String label, double[] ms, int batch) {
        double[] sorted = ms.clone();
        Arrays.sort(sorted);
        double median = sorted.length % 2 == 1 ? sorted[sorted.length / 2]
                : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
        System.out.printf(Locale.ROOT, "%-48s median %7.1f ms  (min %7.1f, max %7.1f)  = %6.0f examples/s%n", label,
                median, sorted[0], sorted[sorted.length - 1], batch / (median / 1e3));
    }
}
