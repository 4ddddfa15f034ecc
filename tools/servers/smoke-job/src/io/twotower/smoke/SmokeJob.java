package io.twotower.smoke;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.apache.flink.api.common.RuntimeExecutionMode;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimiterStrategy;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.api.common.serialization.SimpleStringEncoder;
import org.apache.flink.connector.file.sink.FileSink;
import org.apache.flink.core.fs.Path;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.CloseableIterator;

import java.util.ArrayList;
import java.util.List;

/**
 * Smoke job for bin/local-cluster (tools/servers/smoke-test.sh). Sums 2*i for i in 1..n, optionally
 * doubling through DJL/PyTorch on the TaskManager (--djl), optionally writing the sum with a FileSink
 * (--out file:///... or s3://bucket/...). Prints "SMOKE OK sum=..." or exits non-zero.
 * --unbounded: endless checkpointed stream (10 records/s) that prints "SMOKE-STREAM i=..." every 50
 * records on the TaskManager's stdout, for savepoint (stop / run -s) and failover checks.
 */
public final class SmokeJob {

    public static void main(String[] args) throws Exception {
        long n = 1000;
        boolean djl = false;
        String out = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--n": n = Long.parseLong(args[++i]); break;
                case "--djl": djl = true; break;
                case "--out": out = args[++i]; break;
                case "--unbounded": unbounded(); return;
                default: throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setRuntimeMode(RuntimeExecutionMode.BATCH);
        DataStream<Long> doubled = djl
                ? env.fromSequence(1, n).map(new DjlDouble()).name("djl-double")
                : env.fromSequence(1, n).map(x -> 2 * x).name("double");
        DataStream<Long> sum = doubled.keyBy(x -> 0L).reduce(Long::sum).name("sum");
        long expected = n * (n + 1);
        if (out != null) {
            sum.map(String::valueOf)
                    .sinkTo(FileSink.forRowFormat(new Path(out), new SimpleStringEncoder<String>()).build())
                    .name("file-sink");
            env.execute("twotower-smoke-file");
            System.out.println("SMOKE OK wrote sum to " + out + " (expected " + expected + ")");
            return;
        }
        List<Long> result = new ArrayList<>();
        try (CloseableIterator<Long> it = sum.executeAndCollect("twotower-smoke" + (djl ? "-djl" : ""))) {
            it.forEachRemaining(result::add);
        }
        if (result.size() != 1 || result.get(0) != expected) {
            System.out.println("SMOKE FAILED result=" + result + " expected=" + expected);
            System.exit(1);
        }
        System.out.println("SMOKE OK sum=" + result.get(0) + (djl ? " (via DJL)" : ""));
    }

    private static void unbounded() throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.enableCheckpointing(2000);
        DataGeneratorSource<Long> gen = new DataGeneratorSource<>(
                i -> i, Long.MAX_VALUE, RateLimiterStrategy.perSecond(10), Types.LONG);
        env.fromSource(gen, WatermarkStrategy.noWatermarks(), "gen").uid("gen")
                .map(i -> {
                    if (i % 50 == 0) {
                        System.out.println("SMOKE-STREAM i=" + i);
                    }
                    return i;
                }).uid("progress")
                .sinkTo(new DiscardingSink<>());
        env.executeAsync("twotower-smoke-unbounded");
        System.out.println("SMOKE submitted unbounded job");
    }

    /** Doubles a value with a PyTorch NDArray; DJL must come from the TaskManager classpath. */
    static final class DjlDouble extends RichMapFunction<Long, Long> {
        private transient NDManager manager;

        @Override
        public void open(OpenContext ctx) {
            manager = NDManager.newBaseManager();
            System.out.println("DJL engine " + Engine.getInstance().getEngineName() + " "
                    + Engine.getInstance().getVersion() + ", DJL loaded by "
                    + NDManager.class.getClassLoader() + ", task loader "
                    + getClass().getClassLoader());
        }

        @Override
        public Long map(Long x) {
            try (NDManager sub = manager.newSubManager()) {
                NDArray a = sub.create(new long[] {x});
                return a.mul(2).toLongArray()[0];
            }
        }

        @Override
        public void close() {
            if (manager != null) {
                manager.close();
            }
        }
    }
}
