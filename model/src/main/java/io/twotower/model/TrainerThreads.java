package io.twotower.model;

import ai.djl.pytorch.jni.JniUtils;

/**
 * How many threads libtorch's intra-op pool gives the trainer ({@code trainer_threads}). libtorch's own default is
 * one per core, as if it had the machine to itself; in a Flink TaskManager it does not: the source, the negative
 * samplers and Flink's network threads run on the same cores. {@code auto} leaves one core to them. The pool is
 * one per process, which is why a TaskManager runs one trainer (conf/flink/config.yaml).
 */
public final class TrainerThreads {
    private TrainerThreads() {}

    /** The thread count for {@code setting} (0 = auto) on a machine with {@code cores} cores. */
    public static int resolve(int setting, int cores) {
        return setting > 0 ? setting : Math.max(1, cores - 1);
    }

    /** Sets libtorch's intra-op threads from the configuration; returns the count now in effect. */
    public static int apply(TwoTowerConfig config) {
        int threads = resolve(config.trainerThreads(), Runtime.getRuntime().availableProcessors());
        if (JniUtils.getNumThreads() != threads) {
            JniUtils.setNumThreads(threads);
        }
        return JniUtils.getNumThreads();
    }
}
