package io.twotower.model;

import io.twotower.common.SplitMix64;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class StreamingFrequencyEstimatorTest {
    private static final int NUM_ITEMS = 1000;
    private static final int BATCH = 64;

    /** p_i proportional to 1/(i+1)^0.8, so item 0 is the most frequent. */
    private static double[] zipf(int n) {
        double[] p = new double[n];
        double sum = 0;
        for (int i = 0; i < n; i++) {
            p[i] = 1 / Math.pow(i + 1, 0.8);
            sum += p[i];
        }
        for (int i = 0; i < n; i++) {
            p[i] /= sum;
        }
        return p;
    }

    /** Runs {@code steps} steps of {@code BATCH} iid draws from {@code p}. */
    private static void feed(StreamingFrequencyEstimator est, double[] p, int steps, long seed) {
        double[] cdf = new double[p.length];
        double acc = 0;
        for (int i = 0; i < p.length; i++) {
            acc += p[i];
            cdf[i] = acc;
        }
        SplitMix64 rng = new SplitMix64(seed);
        int[] batch = new int[BATCH];
        for (int s = 0; s < steps; s++) {
            for (int j = 0; j < BATCH; j++) {
                int k = Arrays.binarySearch(cdf, rng.nextDouble() * acc);
                batch[j] = Math.min(k >= 0 ? k : -k - 1, p.length - 1);
            }
            est.update(batch, BATCH);
        }
    }

    private static double relativeError(StreamingFrequencyEstimator est, double[] p, int item) {
        double exact = BATCH * p[item];
        return Math.abs(est.expectedPerStep(item) - exact) / exact;
    }

    private static double meanRelativeError(StreamingFrequencyEstimator est, double[] p, int top) {
        double sum = 0;
        for (int i = 0; i < top; i++) {
            sum += relativeError(est, p, i);
        }
        return sum / top;
    }

    @Test
    void tracksExactFrequenciesOfAZipfStream() {
        double[] p = zipf(NUM_ITEMS);
        StreamingFrequencyEstimator est = new StreamingFrequencyEstimator(1 << 16, 2, 0.01, 43);
        feed(est, p, 20_000, 1);
        assertThat(est.step()).isEqualTo(20_000);

        // One EMA snapshot with alpha = 0.01 carries ~7% relative noise per item (10 stream seeds measured:
        // worst top-50 item 0.13-0.21, mean over the top 200 0.055-0.060, total rate within 1.7% of 64).
        for (int i = 0; i < 50; i++) {
            assertThat(relativeError(est, p, i)).as("item %s", i).isLessThan(0.30);
        }
        assertThat(meanRelativeError(est, p, 200)).isLessThan(0.08);

        // Averaging over groups of 10 removes most of the noise: the estimate is unbiased and ordered.
        double previous = Double.POSITIVE_INFINITY;
        for (int group = 0; group < 5; group++) {
            double estimated = 0;
            double exact = 0;
            for (int i = group * 10; i < group * 10 + 10; i++) {
                estimated += est.expectedPerStep(i);
                exact += BATCH * p[i];
            }
            assertThat(estimated).as("group %s", group).isCloseTo(exact, within(0.10 * exact)).isLessThan(previous);
            previous = estimated;
        }
        double total = 0;
        for (int i = 0; i < NUM_ITEMS; i++) {
            total += est.expectedPerStep(i);
        }
        assertThat(total).isCloseTo(BATCH, within(0.03 * BATCH));
    }

    @Test
    void moreHashesReduceCollisionError() {
        // 1000 items in 64 buckets: ~16 items per bucket. The max over 4 buckets picks the least-collided one.
        // Over 20 seeds the top-20 mean relative error was 1.05-2.67 with 1 hash and 0.69-0.92 with 4.
        double[] p = zipf(NUM_ITEMS);
        StreamingFrequencyEstimator one = new StreamingFrequencyEstimator(64, 1, 0.01, 43);
        StreamingFrequencyEstimator four = new StreamingFrequencyEstimator(64, 4, 0.01, 43);
        feed(one, p, 20_000, 1);
        feed(four, p, 20_000, 1);
        assertThat(meanRelativeError(four, p, 20)).isLessThan(meanRelativeError(one, p, 20));
        // Collisions only ever make an item look more frequent.
        for (int i = 0; i < NUM_ITEMS; i++) {
            assertThat(four.expectedPerStep(i)).isGreaterThanOrEqualTo(BATCH * p[i] * 0.7);
        }
    }

    @Test
    void aSingleBucketSeesTheTotalRate() {
        // Every item shares the bucket: each step is one interval of 1 followed by 63 intervals of 0, whatever the
        // items. The end-of-step EMA converges to B* = a(1-a)^63 / (1 - (1-a)^64), which tends to 1/64 as a -> 0
        // (the trailing zeros weigh slightly more: 1/B* = 89.3 for a = 0.01, 66.0 for a = 0.001).
        double[] p = zipf(NUM_ITEMS);
        for (double a : new double[] {0.01, 0.001}) {
            StreamingFrequencyEstimator est = new StreamingFrequencyEstimator(1, 1, a, 7);
            feed(est, p, 20_000, 3);
            double fixedPoint = a * Math.pow(1 - a, BATCH - 1) / (1 - Math.pow(1 - a, BATCH));
            for (int item : new int[] {0, 17, 999, 123_456}) {
                assertThat(est.stepsBetween(item)).isCloseTo(fixedPoint, within(1e-4 * fixedPoint));
            }
        }
        StreamingFrequencyEstimator slow = new StreamingFrequencyEstimator(1, 1, 0.001, 7);
        feed(slow, p, 20_000, 3);
        assertThat(slow.expectedPerStep(5)).isCloseTo(BATCH, within(0.05 * BATCH));
    }

    @Test
    void handComputedSequence() {
        StreamingFrequencyEstimator est = new StreamingFrequencyEstimator(1 << 20, 1, 0.5, 11);
        int a = 3;
        int b = 8;
        int never = 1234;
        assertThat(est.bucket(0, a)).isNotEqualTo(est.bucket(0, b)).isNotEqualTo(est.bucket(0, never));
        assertThat(est.bucket(0, b)).isNotEqualTo(est.bucket(0, never));
        assertThat(est.stepsBetween(a)).isEqualTo(1.0); // step 0: max(t, 1)

        est.update(new int[] {a}, 1);          // t=1: first sighting, B = 1
        assertThat(est.stepsBetween(a)).isEqualTo(1.0);
        est.update(new int[] {b, a}, 1);       // t=2: only b (count = 1); b first seen, B = 2
        assertThat(est.stepsBetween(a)).isEqualTo(1.0);
        assertThat(est.stepsBetween(b)).isEqualTo(2.0);
        est.update(new int[] {a}, 1);          // t=3: B = 0.5 * 1 + 0.5 * (3 - 1) = 1.5
        assertThat(est.stepsBetween(a)).isEqualTo(1.5);
        est.update(new int[0], 0);             // t=4: nothing
        assertThat(est.stepsBetween(a)).isEqualTo(1.5);
        assertThat(est.stepsBetween(never)).isEqualTo(4.0);
        est.update(new int[] {a}, 1);          // t=5: B = 0.5 * 1.5 + 0.5 * (5 - 3) = 1.75
        assertThat(est.stepsBetween(a)).isEqualTo(1.75);
        assertThat(est.expectedPerStep(a)).isEqualTo(1 / 1.75);
        assertThat(est.stepsBetween(b)).isEqualTo(2.0);
        assertThat(est.stepsBetween(never)).isEqualTo(5.0);
        assertThat(est.step()).isEqualTo(5);

        est.update(new int[] {a, a}, 2);       // t=6: 0.5 * 1.75 + 0.5 * 1 = 1.375, then a duplicate: 0.6875
        assertThat(est.stepsBetween(a)).isEqualTo(0.6875);
    }

    @Test
    void bucketMatchesSplitMix64Mix() {
        StreamingFrequencyEstimator est = new StreamingFrequencyEstimator(1000, 8, 0.1, -99);
        for (int h = 0; h < 8; h++) {
            for (int item : new int[] {0, 1, -1, 42, Integer.MAX_VALUE, Integer.MIN_VALUE}) {
                int expected = (int) Math.floorMod(SplitMix64.mix(-99, h, item), 1000L);
                assertThat(est.bucket(h, item)).isEqualTo(expected);
            }
        }
    }

    @Test
    void inclusionLogProbability() {
        StreamingFrequencyEstimator est = new StreamingFrequencyEstimator(1 << 10, 2, 0.5, 5);
        int item = 9;
        est.update(new int[] {item}, 1);
        est.update(new int[] {1}, 1);
        est.update(new int[] {1}, 1);
        est.update(new int[] {item}, 1);  // B = 0.5 * 1 + 0.5 * 3 = 2: 0.5 per step
        assertThat(est.expectedPerStep(item)).isEqualTo(0.5);
        for (double extra : new double[] {0, 0.1, 1, 3, 50}) {
            double x = 0.5 + extra;
            assertThat(est.inclusionLogProbability(item, extra))
                    .isCloseTo(Math.log(1 - Math.exp(-x)), within(1e-12));
        }

        for (double x : new double[] {1e-20, 1e-200, Double.MIN_VALUE, 1e-6, 0.5, Math.log(2), 1, 30, 800}) {
            double v = StreamingFrequencyEstimator.log1mExp(x);
            assertThat(v).as("x=%s", x).isFinite().isLessThanOrEqualTo(0.0);
            if (x < 1e-6) {
                assertThat(v).as("x=%s", x).isCloseTo(Math.log(x), within(1e-9));
            }
        }
        assertThat(StreamingFrequencyEstimator.log1mExp(30)).isCloseTo(-Math.exp(-30), within(1e-20));

        // A never-seen item after many steps: tiny rate, still finite; more uniform negatives, more likely.
        StreamingFrequencyEstimator big = new StreamingFrequencyEstimator(16, 1, 0.5, 5);
        int[] none = new int[0];
        for (int t = 0; t < 100_000; t++) {
            big.update(none, 0);
        }
        double previous = Double.NEGATIVE_INFINITY;
        for (double extra : new double[] {0, 1e-12, 1e-6, 1e-3, 0.1, 1, 10}) {
            double v = big.inclusionLogProbability(77, extra);
            assertThat(v).isFinite().isGreaterThan(previous);
            previous = v;
        }
        assertThatThrownBy(() -> big.inclusionLogProbability(77, -0.1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> big.inclusionLogProbability(77, Double.NaN))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void checkpointRoundTripContinuesIdentically() throws IOException {
        double[] p = zipf(200);
        StreamingFrequencyEstimator original = new StreamingFrequencyEstimator(97, 3, 0.05, 1234);
        feed(original, p, 500, 8);

        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        original.writeTo(new DataOutputStream(bytes));
        StreamingFrequencyEstimator copy = StreamingFrequencyEstimator.readFrom(
                new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));
        assertThat(copy.step()).isEqualTo(500);

        feed(original, p, 300, 9);
        feed(copy, p, 300, 9);
        for (int i = -5; i < 300; i++) {
            assertThat(copy.stepsBetween(i)).as("item %s", i).isEqualTo(original.stepsBetween(i));
        }
        ByteArrayOutputStream a = new ByteArrayOutputStream();
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        original.writeTo(new DataOutputStream(a));
        copy.writeTo(new DataOutputStream(b));
        assertThat(b.toByteArray()).isEqualTo(a.toByteArray());

        byte[] truncated = Arrays.copyOf(bytes.toByteArray(), 40);
        assertThatThrownBy(() -> StreamingFrequencyEstimator.readFrom(
                new DataInputStream(new ByteArrayInputStream(truncated)))).isInstanceOf(IOException.class);
    }

    @Test
    void constructorValidationNamesTheConfigKey() {
        assertThatThrownBy(() -> new StreamingFrequencyEstimator(0, 2, 0.01, 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("frequency_buckets");
        assertThatThrownBy(() -> new StreamingFrequencyEstimator(Integer.MAX_VALUE, 2, 0.01, 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("frequency_buckets");
        for (int hashes : new int[] {0, 9, -1}) {
            assertThatThrownBy(() -> new StreamingFrequencyEstimator(16, hashes, 0.01, 1))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("frequency_hashes");
        }
        for (double alpha : new double[] {0, -0.1, 1.01, Double.NaN}) {
            assertThatThrownBy(() -> new StreamingFrequencyEstimator(16, 2, alpha, 1))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("frequency_alpha");
        }
        StreamingFrequencyEstimator ok = new StreamingFrequencyEstimator(16, 8, 1.0, 1);
        assertThatThrownBy(() -> ok.update(new int[2], 3)).isInstanceOf(IllegalArgumentException.class);
    }
}
