package io.twotower.job.bench;

import io.twotower.job.cli.FlinkEnvironments;
import io.twotower.job.train.PreparedData;
import io.twotower.job.train.TrainingExample;
import io.twotower.job.train.TrainingJob;
import io.twotower.job.train.TrainingSpec;
import io.twotower.model.TwoTowerConfig;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;

import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/**
 * Rows/s the training source delivers with a no-op trainer (bench/run-data-scale.sh runs it): {@code train}'s own
 * source and keyed negative sampler ({@link TrainingJob#examples}) for one epoch into a sink that only counts, on an
 * embedded Flink.
 *
 * <pre>
 * SourceThroughput --data DIR [--config FILE] [--parallelism 1] [--shuffle-buffer N] [--readers 1]
 * </pre>
 * Prints one line: rows, seconds, rows/s, the JVM's heap after a GC at the end, and the layout. With {@code --readers
 * N} (the compact layout) N readers each read a share of the parts with no read-ahead bound: the no-op trainer sends
 * no progress (a real trainer's progress events are measured by the training runs, TrainingJobITCase).
 */
public final class SourceThroughput {
    private SourceThroughput() {}

    public static void main(String[] args) throws Exception {
        Map<String, String> o = new java.util.HashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            o.put(args[i].replaceFirst("^--", ""), args[i + 1]);
        }
        TwoTowerConfig config = TwoTowerConfig.defaults();
        if (o.containsKey("config")) {
            try (InputStream in = Files.newInputStream(Path.of(o.get("config")))) {
                config = TwoTowerConfig.fromYaml(in, o.get("config"));
            }
        }
        config = config.withValues(Map.of("epochs", 1), "SourceThroughput");
        if (o.containsKey("shuffle-buffer")) {
            config = config.withValues(Map.of("shuffle_buffer", Integer.parseInt(o.get("shuffle-buffer"))),
                    "SourceThroughput");
        }
        if (o.containsKey("readers")) {
            config = config.withValues(Map.of("readers", Integer.parseInt(o.get("readers"))), "SourceThroughput");
        }
        int parallelism = Integer.parseInt(o.getOrDefault("parallelism", "1"));
        long t0 = System.nanoTime();
        PreparedData data = PreparedData.validate(o.get("data"));
        double validateSeconds = (System.nanoTime() - t0) / 1e9;
        TrainingSpec spec = new TrainingSpec(config, o.get("data"), "/tmp/unused", "bench", data.numUsers,
                data.numItems, data.trainRows, 1, false);
        StreamExecutionEnvironment env = FlinkEnvironments.create(Map.of());
        env.setParallelism(parallelism);
        int readers = TrainingJob.readers(config, data);
        TrainingJob.examples(env, spec, data, "bench-source", 0).map(new Count()).name("count").setParallelism(1)
                .sinkTo(new DiscardingSink<>()).setParallelism(1);
        long t1 = System.nanoTime();
        env.execute("source throughput");
        double seconds = (System.nanoTime() - t1) / 1e9;
        long rows = ROWS.get();
        System.gc();
        long heap = Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory();
        System.out.printf(Locale.ROOT, "source layout=%s parallelism=%d readers=%d rows=%d seconds=%.2f rows_per_s=%.0f "
                        + "validate_s=%.2f heap_after_gc_mb=%d heap_max_mb=%d loadavg=%s%n",
                data.manifest == null ? "notebook" : "user-sequences", parallelism, readers, rows, seconds, rows / seconds,
                validateSeconds, heap >> 20, Runtime.getRuntime().maxMemory() >> 20,
                String.format(Locale.ROOT, "%.2f", ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage()));
        if (rows != data.trainRows) {
            throw new IllegalStateException("delivered " + rows + " rows, the data holds " + data.trainRows);
        }
    }

    /** Rows that reached the trainer's place (an embedded job runs in this JVM). */
    static final java.util.concurrent.atomic.AtomicLong ROWS = new java.util.concurrent.atomic.AtomicLong();

    /** Counts the examples; the trainer would take them here. */
    static final class Count implements MapFunction<TrainingExample, Integer> {
        @Override
        public Integer map(TrainingExample value) {
            ROWS.incrementAndGet();
            return value.user;
        }
    }
}
