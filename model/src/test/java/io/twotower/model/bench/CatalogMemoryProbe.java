package io.twotower.model.bench;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.twotower.common.SplitMix64;
import io.twotower.model.RetrievalEvaluator;
import io.twotower.model.RetrievalMetrics;
import io.twotower.model.TrainingBatch;
import io.twotower.model.TwoTowerConfig;
import io.twotower.model.TwoTowerModel;
import io.twotower.model.TwoTowerTrainer;
import io.twotower.model.UniformNegativeSampler;

import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/**
 * A memory measurement, not a speed benchmark: the resident memory of each phase a trainer goes through for one
 * catalog size and {@code embedding_optimizer}, to check the sizing formula of the README ("Sizing a TaskManager
 * for a catalog"). Phases: libtorch loaded, model and optimizer state created, 3 optimizer steps on random batches
 * (conf/twotower-large.yaml's model), one full-catalog evaluation of random rows with seen-item masking
 * ({@link RetrievalMetrics#evaluate}). Each line prints VmRSS, the phase's peak (VmHWM, reset after each line through
 * /proc/self/clear_refs) and the heap pools' peak.
 *
 * <pre>
 * javac -d /tmp/probe -cp flink-job/target/twotower-job.jar model/src/test/java/io/twotower/model/bench/CatalogMemoryProbe.java
 * java -Xmx512m -cp /tmp/probe:flink-job/target/twotower-job.jar io.twotower.model.bench.CatalogMemoryProbe \
 *     ITEMS USERS D_MODEL EMBEDDING_OPTIMIZER EVAL_ROWS EVAL_BLOCK_SIZE ACCUM_STEPS
 * </pre>
 */
public final class CatalogMemoryProbe {
    private CatalogMemoryProbe() {}

    public static void main(String[] args) throws Exception {
        if (args.length != 7) {
            throw new IllegalArgumentException(
                    "usage: ITEMS USERS D_MODEL EMBEDDING_OPTIMIZER EVAL_ROWS EVAL_BLOCK_SIZE ACCUM_STEPS");
        }
        int items = Integer.parseInt(args[0]);
        int users = Integer.parseInt(args[1]);
        int d = Integer.parseInt(args[2]);
        String optimizer = args[3];
        int evalRows = Integer.parseInt(args[4]);
        int evalBlock = Integer.parseInt(args[5]);
        TwoTowerConfig config;
        try (InputStream in = Files.newInputStream(Path.of("conf/twotower-large.yaml"))) {
            config = TwoTowerConfig.fromYaml(in, "conf/twotower-large.yaml");
        }
        config = config.withValues(Map.of("d_model", d, "embedding_optimizer", optimizer, "eval_block_size", evalBlock,
                "accum_steps", Integer.parseInt(args[6])), "CatalogMemoryProbe");
        try (NDManager root = NDManager.newBaseManager()) {
            root.zeros(new Shape(1)).close();
            report("libtorch loaded");
            TwoTowerTrainer trainer = TwoTowerTrainer.create(config,
                    TwoTowerModel.initialise(root.newSubManager(), config, users, items));
            report(String.format(Locale.ROOT, "initialised %d x %d, %d users, %s", items, d, users, optimizer));
            train(trainer, config, users, items, 3);
            report("trained 3 steps");
            SplitMix64 rng = new SplitMix64(3);
            int[] rowUsers = new int[evalRows];
            int[] positives = new int[evalRows];
            int[][] histories = new int[evalRows][];
            for (int r = 0; r < evalRows; r++) {
                rowUsers[r] = rng.nextInt(users);
                positives[r] = rng.nextInt(items);
                histories[r] = new int[60];
                for (int h = 0; h < histories[r].length; h++) {
                    histories[r][h] = rng.nextInt(items);
                }
            }
            RetrievalMetrics.evaluate(new RetrievalEvaluator(evalBlock), trainer.model(), rowUsers, histories, positives,
                    histories, config.evalTopK());
            report(String.format(Locale.ROOT, "evaluated %d rows, eval_block_size %d", evalRows, evalBlock));
            trainer.close();
        }
    }

    /** {@code steps} optimizer steps on random batches, as SnapshotMemoryProof trains. */
    private static void train(TwoTowerTrainer trainer, TwoTowerConfig config, int users, int items, int steps) {
        int b = config.batchSize();
        int k = config.kNeg();
        int historyLength = config.historyTower() ? config.historyLength() : 0;
        UniformNegativeSampler sampler = new UniformNegativeSampler(items);
        SplitMix64 rng = new SplitMix64(7);
        TrainingBatch batch = new TrainingBatch(b, k, historyLength);
        int[] negatives = new int[k];
        int[] history = new int[Math.max(3, historyLength)];
        for (int s = 0; s < steps * config.accumSteps(); s++) {
            batch.clear();
            for (int i = 0; i < b; i++) {
                int positive = rng.nextInt(items);
                for (int h = 0; h < history.length; h++) {
                    history[h] = rng.nextInt(items);
                }
                sampler.sample(positive, history, history.length, k, rng, negatives, 0);
                batch.add(rng.nextInt(users), positive, negatives, 0, history, history.length);
            }
            trainer.trainBatch(batch);
        }
    }

    /** One line: resident memory now and the phase's peak, the heap pools' peak; then resets both peaks. */
    private static void report(String phase) throws Exception {
        long heapPeak = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                heapPeak += pool.getPeakUsage().getUsed();
                pool.resetPeakUsage();
            }
        }
        System.out.printf(Locale.ROOT, "%-56s RSS %6d MiB  peak %6d MiB  heap peak %4d MiB%n", phase,
                statusKb("VmRSS:") >> 10, statusKb("VmHWM:") >> 10, heapPeak >> 20);
        // "5" resets VmHWM (Linux 4.0+), so the next line's peak is that phase's own.
        Files.writeString(Path.of("/proc/self/clear_refs"), "5");
    }

    private static long statusKb(String key) throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith(key)) {
                return Long.parseLong(line.replaceAll("\\D", ""));
            }
        }
        throw new IllegalStateException("no " + key + " in /proc/self/status");
    }
}
