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

    /** Gives the training threads back when closed. */
    public interface Restore extends AutoCloseable {
        @Override
        void close();
    }

    /** The thread count for {@code setting} (0 = auto) on a machine with {@code cores} cores. */
    public static int resolve(int setting, int cores) {
        return setting > 0 ? setting : Math.max(1, cores - 1);
    }

    /**
     * Gives libtorch every core for a full-catalog evaluation at an epoch's end, when {@code trainer_threads} is auto:
     * then the source and the samplers wait for the epoch decision, so the core left to them is idle, and the
     * evaluation (a held-out block against every item: at 10M items minutes a pass on one core) is the only work.
     * An explicit {@code trainer_threads} is kept. Closing restores the training threads.
     */
    public static Restore forEvaluation(TwoTowerConfig config) {
        int training = JniUtils.getNumThreads();
        int cores = Runtime.getRuntime().availableProcessors();
        if (config.trainerThreads() > 0 || training >= cores) {
            return () -> { };
        }
        JniUtils.setNumThreads(cores);
        return () -> JniUtils.setNumThreads(training);
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
