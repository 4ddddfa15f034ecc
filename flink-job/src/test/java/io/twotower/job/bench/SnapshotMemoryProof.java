package io.twotower.job.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import io.twotower.common.SplitMix64;
import io.twotower.connectors.snapshot.SnapshotStore;
import io.twotower.job.train.EmbeddingExport;
import io.twotower.job.train.SnapshotParameters;
import io.twotower.model.RetrievalEvaluator;
import io.twotower.model.TrainerStateCodec;
import io.twotower.model.TrainingBatch;
import io.twotower.model.TwoTowerConfig;
import io.twotower.model.TwoTowerModel;
import io.twotower.model.TwoTowerTrainer;
import io.twotower.model.UniformNegativeSampler;
import org.apache.flink.core.fs.Path;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * A memory proof, not a speed benchmark: a model with a table far larger than the Java heap (run it with a small
 * {@code -Xmx}) is initialised, trained a few steps, published as a snapshot, read back as {@code online --init-from}
 * reads it, checkpointed through {@link TrainerStateCodec#write} to a file and restored, every table compared with the
 * original. Each phase prints the process's resident memory (now and peak) and the heap in use. A whole-table
 * {@code float[]} or {@code byte[]} anywhere on these paths fails it with {@code OutOfMemoryError}.
 *
 * <pre>
 * javac -d /tmp/proof-classes -cp flink-job/target/twotower-job.jar \
 *     flink-job/src/test/java/io/twotower/job/bench/SnapshotMemoryProof.java
 * java -Xmx512m -cp /tmp/proof-classes:flink-job/target/twotower-job.jar io.twotower.job.bench.SnapshotMemoryProof \
 *     --items 10000000 --users 1000000 --d 64 --config conf/twotower-large.yaml --dir /tmp/proof
 * </pre>
 *
 * It writes about 11 GB under {@code --dir} at 10M x 64 (the snapshot and the checkpoint) and peaks at two models'
 * worth of resident memory (the original and the one read back); BENCHMARKS.md has a run.
 */
public final class SnapshotMemoryProof {
    private SnapshotMemoryProof() {}

    public static void main(String[] args) throws Exception {
        int items = 10_000_000;
        int users = 1_000_000;
        int d = 64;
        String configFile = null;
        java.nio.file.Path dir = java.nio.file.Path.of("/tmp/snapshot-memory-proof");
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--items": items = Integer.parseInt(args[i + 1]); break;
                case "--users": users = Integer.parseInt(args[i + 1]); break;
                case "--d": d = Integer.parseInt(args[i + 1]); break;
                case "--config": configFile = args[i + 1]; break;
                case "--dir": dir = java.nio.file.Path.of(args[i + 1]); break;
                default: throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        TwoTowerConfig config = TwoTowerConfig.defaults();
        if (configFile != null) {
            try (InputStream in = Files.newInputStream(java.nio.file.Path.of(configFile))) {
                config = TwoTowerConfig.fromYaml(in, configFile);
            }
        }
        config = config.withValues(java.util.Map.of("d_model", d), "SnapshotMemoryProof");
        Files.createDirectories(dir);
        report("start", String.format(Locale.ROOT, "items=%d users=%d d=%d embedding_optimizer=%s model=%s, -Xmx %d MiB,"
                        + " item table %.2f GB", items, users, d, config.embeddingOptimizer(), config.model(),
                Runtime.getRuntime().maxMemory() >> 20, 4.0 * items * d / 1e9));

        try (NDManager root = NDManager.newBaseManager()) {
            long t = System.nanoTime();
            TwoTowerTrainer trainer = TwoTowerTrainer.create(config,
                    TwoTowerModel.initialise(root.newSubManager(), config, users, items));
            report("initialised", seconds(t));

            t = System.nanoTime();
            train(trainer, config, users, items, 3);
            report("trained 3 steps", seconds(t));

            t = System.nanoTime();
            SnapshotStore store = new SnapshotStore(new Path(dir.toUri()), "proof");
            RetrievalEvaluator evaluator = new RetrievalEvaluator(config.evalBlockSize());
            TwoTowerModel model = trainer.model();
            Path snapshot = store.publishStreaming(1, EmbeddingExport.files(model, evaluator, null),
                    EmbeddingExport.manifestFields(model, config, "proof", trainer.steps()), true, 0);
            report("published", seconds(t) + ", " + sizes(java.nio.file.Path.of(snapshot.getPath())));

            t = System.nanoTime();
            java.nio.file.Path checkpoint = dir.resolve("trainer.state");
            try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(
                    Files.newOutputStream(checkpoint), 1 << 16))) {
                TrainerStateCodec.write(trainer, out);
            }
            report("checkpoint written", seconds(t) + String.format(Locale.ROOT, ", %.2f GB", Files.size(checkpoint) / 1e9));

            // The warm start's path: verify against the manifest, then the weights chunk by chunk.
            t = System.nanoTime();
            List<String> problems = SnapshotStore.verifyFolder(snapshot);
            if (!problems.isEmpty()) {
                throw new IllegalStateException("the snapshot does not verify: " + problems);
            }
            report("snapshot verified", seconds(t));
            t = System.nanoTime();
            TwoTowerModel warm = SnapshotParameters.read(snapshot, root.newSubManager(), config);
            report("warm start read", seconds(t));
            compare(model, warm, "warm start");
            trainer.close();
            report("original closed", "");

            t = System.nanoTime();
            TwoTowerTrainer restored;
            try (DataInputStream in = new DataInputStream(new BufferedInputStream(
                    Files.newInputStream(checkpoint), 1 << 16))) {
                restored = TrainerStateCodec.read(in, root.newSubManager(), config);
            }
            report("checkpoint restored", seconds(t));
            compare(warm, restored.model(), "checkpoint");
            restored.close();
            warm.close();
        }
        report("done", "");
    }

    private static void train(TwoTowerTrainer trainer, TwoTowerConfig config, int users, int items, int steps) {
        int b = config.batchSize();
        int k = config.kNeg();
        int historyLength = config.historyTower() ? config.historyLength() : 0;
        UniformNegativeSampler sampler = new UniformNegativeSampler(items);
        SplitMix64 rng = new SplitMix64(7);
        TrainingBatch batch = new TrainingBatch(b, k, historyLength);
        int[] neg = new int[k];
        int[] history = new int[Math.max(3, historyLength)];
        for (int s = 0; s < steps * config.accumSteps(); s++) {
            batch.clear();
            for (int i = 0; i < b; i++) {
                int pos = rng.nextInt(items);
                for (int h = 0; h < history.length; h++) {
                    history[h] = rng.nextInt(items);
                }
                sampler.sample(pos, history, history.length, k, rng, neg, 0);
                batch.add(rng.nextInt(users), pos, neg, 0, history, history.length);
            }
            trainer.trainBatch(batch);
        }
    }

    /** Every parameter equal, compared a million values at a time (no table-sized array on the heap). */
    private static void compare(TwoTowerModel expected, TwoTowerModel actual, String what) {
        NDArray[] e = expected.parameters();
        NDArray[] a = actual.parameters();
        for (int i = 0; i < e.length; i++) {
            if (!e[i].getShape().equals(a[i].getShape())) {
                throw new IllegalStateException(what + ": " + TwoTowerModel.parameterNames()[i] + " has shape "
                        + a[i].getShape() + ", expected " + e[i].getShape());
            }
            long rows = e[i].getShape().get(0);
            long step = Math.max(1, 1_000_000 / Math.max(1, e[i].getShape().size() / rows));
            for (long start = 0; start < rows; start += step) {
                NDIndex slice = new NDIndex("{}:{}", start, Math.min(rows, start + step));
                try (NDArray x = e[i].get(slice); NDArray y = a[i].get(slice)) {
                    if (!Arrays.equals(x.toByteArray(), y.toByteArray())) {
                        throw new IllegalStateException(what + ": " + TwoTowerModel.parameterNames()[i]
                                + " differs in rows from " + start);
                    }
                }
            }
        }
        report(what + " identical", "all 18 parameters bit for bit");
    }

    private static String seconds(long start) {
        return String.format(Locale.ROOT, "%.1f s", (System.nanoTime() - start) / 1e9);
    }

    private static String sizes(java.nio.file.Path folder) throws IOException {
        StringBuilder out = new StringBuilder();
        try (var files = Files.list(folder)) {
            for (java.nio.file.Path f : (Iterable<java.nio.file.Path>) files.sorted()::iterator) {
                out.append(String.format(Locale.ROOT, "%s%s %.2f GB", out.length() == 0 ? "" : ", ",
                        f.getFileName(), Files.size(f) / 1e9));
            }
        }
        return out.toString();
    }

    /** One line: the phase, resident memory now and at peak (VmRSS, VmHWM), heap used now and the pools' peaks. */
    private static void report(String phase, String detail) {
        long rss = statusKb("VmRSS:");
        long hwm = statusKb("VmHWM:");
        Runtime rt = Runtime.getRuntime();
        long heapUsed = rt.totalMemory() - rt.freeMemory();
        long heapPeak = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                heapPeak += pool.getPeakUsage().getUsed();
            }
        }
        System.out.printf(Locale.ROOT, "proof %-20s RSS %6.0f MiB, peak RSS %6.0f MiB, heap used %4d MiB (pools' peaks"
                + " %4d MiB)%s%n", phase, rss / 1024.0, hwm / 1024.0, heapUsed >> 20, heapPeak >> 20,
                detail.isEmpty() ? "" : ": " + detail);
    }

    private static long statusKb(String key) {
        try {
            for (String line : Files.readAllLines(java.nio.file.Path.of("/proc/self/status"))) {
                if (line.startsWith(key)) {
                    return Long.parseLong(line.substring(key.length()).trim().split("\\s+")[0]);
                }
            }
        } catch (IOException e) {
            return -1;
        }
        return -1;
    }
}
