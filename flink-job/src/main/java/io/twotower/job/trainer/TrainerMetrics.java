package io.twotower.job.trainer;

import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.MeterView;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;

/**
 * The metrics both trainer operators report about their training steps, beside their own gauges: a histogram
 * of the time of one micro-batch ({@code stepMicros}: forward, backward, and the optimizer step when one is due;
 * the web UI and the Prometheus reporter show its quantiles) and the examples trained per second over the last
 * {@link #RATE_SECONDS} seconds ({@code examplesRate}, a meter; the per-epoch figure is the train operator's
 * {@code examplesPerSecond} gauge).
 */
public final class TrainerMetrics {
    /** Micro-batches the step-time quantiles are computed over. */
    static final int STEP_WINDOW = 512;
    static final int RATE_SECONDS = 10;

    private final Histogram stepMicros;
    private final Counter examples;

    private TrainerMetrics(Histogram stepMicros, Counter examples) {
        this.stepMicros = stepMicros;
        this.examples = examples;
    }

    public static TrainerMetrics register(MetricGroup group) {
        Histogram steps = group.histogram("stepMicros", new DescriptiveStatisticsHistogram(STEP_WINDOW));
        Counter examples = group.counter("examplesCounted");
        group.meter("examplesRate", new MeterView(examples, RATE_SECONDS));
        return new TrainerMetrics(steps, examples);
    }

    /** One micro-batch of {@code batchSize} examples took {@code nanos}. */
    public void stepped(long nanos, int batchSize) {
        stepMicros.update(nanos / 1_000);
        examples.inc(batchSize);
    }
}
