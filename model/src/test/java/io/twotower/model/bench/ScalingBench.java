package io.twotower.model.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import io.twotower.common.SplitMix64;
import io.twotower.model.TrainingBatch;
import io.twotower.model.TwoTowerConfig;
import io.twotower.model.TwoTowerModel;
import io.twotower.model.TwoTowerTrainer;
import io.twotower.model.UniformNegativeSampler;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Throughput of the training step ({@link TwoTowerTrainer#trainBatch}) on random batches, against the
 * arithmetic ceiling of this machine (bench/run-scaling.sh runs it; see BENCHMARKS.md).
 *
 * <pre>
 * ScalingBench matmul [--reps 40]
 *     GFLOP/s of a DJL matMul [9000 x d] x [d x d] in a loop (median and best of --reps).
 * ScalingBench step --items N [--batch B] [--users 610] [--d D] [--k K] [--cycles 6] [--warmup 2]
 *                   [--seconds 0] [--config FILE] [--set key=value,key=value] [--gflops G] [--json FILE]
 *     Times optimizer cycles (accum_steps micro-batches, the last one runs the optimizer step) after
 *     --warmup cycles: at least --cycles of them, and more until the timed cycles add up to --seconds (a
 *     median over a few cycles of a 1M-row table moved by a third from run to run); prints examples/s (median cycle), the FLOPs per example of the step and, with
 *     --gflops, the ceiling examples/s = G / FLOPs per example and the ratio measured / ceiling.
 *     The configuration is the notebook's defaults, or --config (a job YAML such as
 *     conf/twotower-large.yaml), then --set, then --d (d_model), --batch (batch_size), --k (k_neg).
 * </pre>
 *
 * Batches: users uniform over --users, positives uniform over the catalog, k negatives per row drawn
 * by the model's {@link UniformNegativeSampler} (a 3-item history; with {@code model: history} a
 * history of history_length uniform items, which the user tower pools), as the job's sampler draws them.
 * Batches are built outside the timed region. One catalog size per JVM, so the script can read each
 * size's peak resident memory from /usr/bin/time. The FLOP count assumes the notebook's loss (k negatives
 * per row); for other configurations only the measured figures are comparable.
 */
public final class ScalingBench {
    private ScalingBench() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length == 0) {
            throw new IllegalArgumentException("usage: ScalingBench matmul|step [options]");
        }
        Map<String, String> opts = options(Arrays.copyOfRange(args, 1, args.length));
        switch (args[0]) {
            case "matmul":
                matmul(Integer.parseInt(opts.getOrDefault("reps", "40")), Integer.parseInt(opts.getOrDefault("d", "256")),
                        Integer.parseInt(opts.getOrDefault("rows", "9000")), opts.get("json"));
                break;
            case "step":
                step(opts);
                break;
            default:
                throw new IllegalArgumentException("unknown mode " + args[0]);
        }
    }

    private static Map<String, String> options(String[] args) {
        Map<String, String> out = new HashMap<>();
        for (int i = 0; i < args.length; i += 2) {
            if (!args[i].startsWith("--") || i + 1 >= args.length) {
                throw new IllegalArgumentException("expected --key value, got " + args[i]);
            }
            out.put(args[i].substring(2), args[i + 1]);
        }
        return out;
    }

    /** GFLOP/s of [rows x d] x [d x d]: 2 * rows * d * d FLOPs per product. */
    static void matmul(int reps, int d, int rows, String json) throws IOException {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray a = m.randomNormal(new Shape(rows, d));
            NDArray w = m.randomNormal(new Shape(d, d));
            double flops = 2.0 * rows * d * d;
            for (int i = 0; i < 5; i++) {
                try (NDArray c = a.matMul(w)) {
                    c.getFloat(0, 0);
                }
            }
            double[] rates = new double[reps];
            for (int r = 0; r < reps; r++) {
                long t0 = System.nanoTime();
                try (NDArray c = a.matMul(w)) {
                    c.getFloat(0, 0);
                }
                rates[r] = flops / ((System.nanoTime() - t0) / 1e9) / 1e9;
            }
            Arrays.sort(rates);
            double median = median(rates);
            System.out.printf(Locale.ROOT, "matmul %dx%d by %dx%d, torch threads=%d interop=%d: median %.1f GFLOP/s, "
                    + "best %.1f, worst %.1f over %d reps; loadavg %s%n", rows, d, d, d, JniUtils.getNumThreads(),
                    JniUtils.getNumInteropThreads(), median, rates[reps - 1], rates[0], reps, loadAverage());
            if (json != null) {
                Files.writeString(Path.of(json), String.format(Locale.ROOT,
                        "{\"rows\":%d,\"d\":%d,\"reps\":%d,\"threads\":%d,\"gflops_median\":%.3f,\"gflops_best\":%.3f,"
                                + "\"gflops_worst\":%.3f,\"loadavg\":\"%s\"}%n", rows, d, reps, JniUtils.getNumThreads(),
                        median, rates[reps - 1], rates[0], loadAverage()), StandardCharsets.UTF_8);
            }
        }
    }

    static void step(Map<String, String> o) throws IOException {
        int items = Integer.parseInt(o.getOrDefault("items", "10000"));
        int users = Integer.parseInt(o.getOrDefault("users", "610"));
        int cycles = Integer.parseInt(o.getOrDefault("cycles", "6"));
        int warmup = Integer.parseInt(o.getOrDefault("warmup", "2"));
        double minSeconds = Double.parseDouble(o.getOrDefault("seconds", "0"));
        double gflops = Double.parseDouble(o.getOrDefault("gflops", "0"));
        TwoTowerConfig config = config(o);
        int b = config.batchSize();
        int d = config.dModel();
        int k = config.kNeg();
        int accum = config.accumSteps();
        int historyLength = config.historyTower() ? config.historyLength() : 0;

        long t0 = System.nanoTime();
        try (NDManager root = NDManager.newBaseManager()) {
            TwoTowerTrainer trainer = TwoTowerTrainer.create(config,
                    TwoTowerModel.initialise(root.newSubManager(), config, users, items));
            double initSeconds = (System.nanoTime() - t0) / 1e9;
            UniformNegativeSampler sampler = new UniformNegativeSampler(items);
            SplitMix64 rng = new SplitMix64(SplitMix64.mix(7, items, b));
            TrainingBatch batch = new TrainingBatch(b, k, historyLength);
            int[] neg = new int[k];
            int[] history = new int[Math.max(3, historyLength)];
            boolean[] seen = new boolean[items];
            List<Integer> distinctCounts = new ArrayList<>();
            List<Double> cycleSeconds = new ArrayList<>();
            List<Double> optimizerMicroBatchSeconds = new ArrayList<>();
            List<Double> plainMicroBatchSeconds = new ArrayList<>();
            double samplingSeconds = 0;
            long sampled = 0;
            double timedSeconds = 0;
            for (int c = 0; c < warmup + cycles || timedSeconds < minSeconds; c++) {
                double cycle = 0;
                for (int a = 0; a < accum; a++) {
                    long s0 = System.nanoTime();
                    batch.clear();
                    for (int i = 0; i < b; i++) {
                        int pos = rng.nextInt(items);
                        for (int h = 0; h < history.length; h++) {
                            history[h] = rng.nextInt(items);
                        }
                        sampler.sample(pos, history, history.length, k, rng, neg, 0);
                        batch.add(rng.nextInt(users), pos, neg, 0, history, history.length);
                    }
                    long s1 = System.nanoTime();
                    trainer.trainBatch(batch);
                    long s2 = System.nanoTime();
                    if (c >= warmup) {
                        samplingSeconds += (s1 - s0) / 1e9;
                        sampled += b;
                        double sec = (s2 - s1) / 1e9;
                        cycle += sec;
                        (a == accum - 1 ? optimizerMicroBatchSeconds : plainMicroBatchSeconds).add(sec);
                        distinctCounts.add(distinct(batch, seen));
                    }
                }
                if (c >= warmup) {
                    cycleSeconds.add(cycle);
                    timedSeconds += cycle;
                }
            }
            trainer.close();

            double[] sortedCycles = cycleSeconds.stream().mapToDouble(Double::doubleValue).sorted().toArray();
            double cycleMedian = median(sortedCycles);
            double examplesPerSecond = accum * (double) b / cycleMedian;
            double u = distinctCounts.stream().mapToInt(Integer::intValue).average().orElse(0);
            // Embedding tables, plus per tower 2 x (Linear d*d + d, LayerNorm 2d).
            long params = (long) (users + items) * d + 2L * 2L * ((long) d * d + 3L * d);
            double towerFlops = 2.0 * 2.0 * d * d * 3.0;               // per row: 2 layers x 2*d*d, x3 with backward
            double userFlops = b * towerFlops;
            double itemFlops = u * towerFlops;
            double scoreFlops = b * (1.0 + k) * d * 2.0 * 3.0;
            double adamFlops = 10.0 * params / accum;                   // one AdamW step per accum micro-batches
            double perExample = (userFlops + itemFlops + scoreFlops + adamFlops) / b;
            double ceiling = gflops > 0 ? gflops * 1e9 / perExample : Double.NaN;
            double optMedian = median(optimizerMicroBatchSeconds.stream().mapToDouble(Double::doubleValue).sorted().toArray());
            double plainMedian = median(plainMicroBatchSeconds.stream().mapToDouble(Double::doubleValue).sorted().toArray());
            long heapUsed = Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory();
            String line = String.format(Locale.ROOT,
                    "step items=%d users=%d d=%d batch=%d k=%d accum=%d %s: %.0f examples/s (median of %d cycles; "
                            + "micro-batch %.1f ms, with AdamW %.1f ms), distinct items/batch %.0f, "
                            + "FLOPs/example %.3g (user %.3g, item %.3g, score %.3g, AdamW %.3g), ceiling %.0f examples/s "
                            + "at %.1f GFLOP/s, measured/ceiling %.2f; sampling %.0f examples/s; init %.1f s; "
                            + "params %d; loadavg %s",
                    items, users, d, b, k, accum, describe(config), examplesPerSecond, cycleSeconds.size(), plainMedian * 1e3,
                    optMedian * 1e3, u, perExample, userFlops / b, itemFlops / b, scoreFlops / b, adamFlops / b,
                    ceiling, gflops, examplesPerSecond / ceiling, sampled / samplingSeconds, initSeconds, params,
                    loadAverage());
            System.out.println(line);
            String json = o.get("json");
            if (json != null) {
                Files.writeString(Path.of(json), String.format(Locale.ROOT,
                        "{\"items\":%d,\"users\":%d,\"d\":%d,\"batch\":%d,\"k\":%d,\"accum\":%d,\"config\":\"%s\","
                                + "\"cycles\":%d,\"warmup\":%d,"
                                + "\"examples_per_s\":%.3f,\"examples_per_s_q1\":%.3f,\"examples_per_s_q3\":%.3f,\"cycle_s\":%s,\"micro_batch_ms\":%.3f,\"micro_batch_adamw_ms\":%.3f,"
                                + "\"distinct_items\":%.1f,\"params\":%d,\"flops_per_example\":%.6g,\"flops_user\":%.6g,"
                                + "\"flops_item\":%.6g,\"flops_score\":%.6g,\"flops_adamw\":%.6g,\"gflops\":%.3f,"
                                + "\"ceiling_examples_per_s\":%.3f,\"ratio\":%.4f,\"sampling_examples_per_s\":%.1f,"
                                + "\"init_s\":%.2f,\"heap_used_mb\":%d,\"threads\":%d,\"thp_mem_alloc\":\"%s\",\"loadavg\":\"%s\"}%n",
                        items, users, d, b, k, accum, describe(config), cycleSeconds.size(), warmup, examplesPerSecond,
                        accum * (double) b / quantile(sortedCycles, 0.75), accum * (double) b / quantile(sortedCycles, 0.25),
                        cycleSeconds.toString(), plainMedian * 1e3, optMedian * 1e3, u, params, perExample,
                        userFlops / b, itemFlops / b, scoreFlops / b, adamFlops / b, gflops, ceiling,
                        examplesPerSecond / ceiling, sampled / samplingSeconds, initSeconds, heapUsed >> 20,
                        JniUtils.getNumThreads(), System.getenv().getOrDefault("THP_MEM_ALLOC_ENABLE", ""), loadAverage()),
                        StandardCharsets.UTF_8);
            }
        }
    }

    /** The defaults or --config, then --set key=value,..., then --d, --batch, --k. */
    static TwoTowerConfig config(Map<String, String> o) throws IOException {
        TwoTowerConfig config = TwoTowerConfig.defaults();
        if (o.containsKey("config")) {
            try (java.io.InputStream in = Files.newInputStream(Path.of(o.get("config")))) {
                config = TwoTowerConfig.fromYaml(in, o.get("config"));
            }
        }
        if (o.containsKey("set")) {
            config = config.withOverrides(Arrays.asList(o.get("set").split(",")));
        }
        Map<String, Object> sizes = new HashMap<>();
        String[][] keys = {{"d", "d_model"}, {"batch", "batch_size"}, {"k", "k_neg"}};
        for (String[] key : keys) {
            if (o.containsKey(key[0])) {
                sizes.put(key[1], Integer.parseInt(o.get(key[0])));
            }
        }
        return config.withValues(sizes, "ScalingBench");
    }

    /** The keys that shape the step, for the report (one token, no spaces). */
    private static String describe(TwoTowerConfig c) {
        return String.format(Locale.ROOT, "model=%s,negatives=%s,embedding_optimizer=%s", c.model(), c.negatives(),
                c.embeddingOptimizer());
    }

    /** Distinct item ids among a batch's positives and negatives. */
    private static int distinct(TrainingBatch batch, boolean[] seen) {
        int n = 0;
        int[] touched = new int[batch.size() * (batch.kNeg() + 1)];
        for (int i = 0; i < batch.size(); i++) {
            int item = batch.positive(i);
            if (!seen[item]) {
                seen[item] = true;
                touched[n++] = item;
            }
        }
        int[] negatives = batch.negatives();
        for (int j = 0; j < batch.size() * batch.kNeg(); j++) {
            if (!seen[negatives[j]]) {
                seen[negatives[j]] = true;
                touched[n++] = negatives[j];
            }
        }
        for (int i = 0; i < n; i++) {
            seen[touched[i]] = false;
        }
        return n;
    }

    /** Linear interpolation between the closest ranks of a sorted array. */
    private static double quantile(double[] sorted, double q) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        double pos = q * (sorted.length - 1);
        int lo = (int) Math.floor(pos);
        int hi = Math.min(sorted.length - 1, lo + 1);
        return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
    }

    private static double median(double[] sorted) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int mid = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    private static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException | RuntimeException e) {
            return String.format(Locale.ROOT, "%.2f", ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        }
    }
}
