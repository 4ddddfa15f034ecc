package io.twotower.model;

import io.twotower.common.SplitMix64;
import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.Arrays;

/**
 * Streaming estimate of how often each item occurs in the training stream, for the log-Q (sampling-bias)
 * correction of in-batch softmax: Yi et al., "Sampling-Bias-Corrected Neural Modeling for Large Corpus Item
 * Recommendations", RecSys 2019, Algorithm 2 (the multiple-hashing variant).
 *
 * <p>For each of {@code H} hash functions there are two arrays of {@code buckets} cells: {@code A_h[b]}, the
 * global step at which bucket {@code b} was last seen, and {@code B_h[b]}, an exponential moving average of the
 * number of steps between two sightings. One {@link #update} is one training step {@code t} (t = 1, 2, ...); for
 * every item {@code y} of the step, duplicates included and in order, and every {@code h}:
 * <pre>
 *   b = bucket_h(y);  B_h[b] = (1 - alpha) * B_h[b] + alpha * (t - A_h[b]);  A_h[b] = t
 * </pre>
 * The estimate is {@code delta(y) = max_h B_h[bucket_h(y)]} steps between occurrences, i.e. {@code 1 / delta(y)}
 * expected occurrences per step.
 *
 * <p><b>Why the max over hashes.</b> Items that share a bucket pool their sightings, so a collision can only make
 * that bucket's interval shorter (the item looks more frequent than it is). The largest interval over the
 * {@code H} independent buckets is therefore the least-collided one, which is the paper's choice.
 *
 * <p><b>First sighting.</b> A bucket never seen before is marked {@code A = -1}. Blending its first interval with
 * an arbitrary initial {@code B} would bias the estimate for roughly {@code 1/alpha} sightings, so on the first
 * sighting at step {@code t} the bucket starts at {@code B = t} (it took {@code t} steps to appear once; steps count
 * from 1) and {@code A = t}. Likewise an item whose bucket was never seen gets {@code delta = max(t, 1)} for the
 * current step {@code t}: at most one occurrence in the steps so far.
 *
 * <p>Further duplicates of an item within one step contribute an interval of 0, so an item seen {@code k} times per
 * step converges to {@code delta ~ 1/k} (the end-of-step average weighs those trailing zeros slightly more, so
 * {@code 1/delta} reads high by about {@code alpha * (k - 1) / 2} relative; keep {@code alpha * k} small).
 * {@code delta} is floored at {@link #MIN_STEPS_BETWEEN} so that rates stay finite (with {@code alpha = 1} a
 * duplicate drives {@code B} to exactly 0). The bucket hash is
 * {@code floorMod(SplitMix64.mix(seed, h, y), buckets)}. {@link #update} allocates nothing. Not thread-safe.
 */
public final class StreamingFrequencyEstimator {
    /** Smallest value {@link #stepsBetween} returns, so that {@link #expectedPerStep} stays finite. */
    public static final double MIN_STEPS_BETWEEN = 1e-9;
    private static final int NEVER_SEEN = -1;
    private static final int FORMAT_VERSION = 1;
    private static final long GOLDEN = 0x9E3779B97F4A7C15L;

    private final int buckets;
    private final int hashes;
    private final double alpha;
    private final long seed;
    /** {@code SplitMix64.mix(seed, h)} for each h: the mix state before the item is folded in. */
    private final long[] hashPrefix;
    /** A_h[b] at {@code h * buckets + b}. */
    private final int[] lastSeen;
    /** B_h[b] at {@code h * buckets + b}. */
    private final float[] stepsBetween;
    private long step;

    public StreamingFrequencyEstimator(int buckets, int hashes, double alpha, long seed) {
        if (hashes < 1 || hashes > 8) {
            throw new IllegalArgumentException("frequency_hashes must be in [1, 8]: " + hashes);
        }
        if (buckets <= 0 || buckets > Integer.MAX_VALUE / hashes) {
            throw new IllegalArgumentException("frequency_buckets must be in [1, " + Integer.MAX_VALUE / hashes
                    + "] for " + hashes + " hashes: " + buckets);
        }
        if (!(alpha > 0 && alpha <= 1)) {
            throw new IllegalArgumentException("frequency_alpha must be in (0, 1]: " + alpha);
        }
        this.buckets = buckets;
        this.hashes = hashes;
        this.alpha = alpha;
        this.seed = seed;
        this.hashPrefix = new long[hashes];
        for (int h = 0; h < hashes; h++) {
            hashPrefix[h] = SplitMix64.mix(seed, h);
        }
        this.lastSeen = new int[buckets * hashes];
        this.stepsBetween = new float[buckets * hashes];
        Arrays.fill(lastSeen, NEVER_SEEN);
    }

    /** One training step: advances the step counter, then records {@code items[0..count)} (duplicates count). */
    public void update(int[] items, int count) {
        if (count < 0 || count > items.length) {
            throw new IllegalArgumentException("count " + count + " outside [0, " + items.length + "]");
        }
        if (step >= Integer.MAX_VALUE) {
            throw new IllegalStateException("step counter exceeds " + Integer.MAX_VALUE);
        }
        int t = (int) ++step;
        for (int i = 0; i < count; i++) {
            int item = items[i];
            for (int h = 0; h < hashes; h++) {
                int cell = h * buckets + bucket(h, item);
                int last = lastSeen[cell];
                stepsBetween[cell] = last == NEVER_SEEN
                        ? t
                        : (float) ((1 - alpha) * stepsBetween[cell] + alpha * (t - last));
                lastSeen[cell] = t;
            }
        }
    }

    /** delta(y): the estimated number of steps between two occurrences of {@code item}. */
    public double stepsBetween(int item) {
        double delta = 0;
        for (int h = 0; h < hashes; h++) {
            int cell = h * buckets + bucket(h, item);
            double b = lastSeen[cell] == NEVER_SEEN ? Math.max(step, 1) : stepsBetween[cell];
            delta = Math.max(delta, b);
        }
        return Math.max(delta, MIN_STEPS_BETWEEN);
    }

    /** 1 / delta(y): the expected number of occurrences of {@code item} per step. */
    public double expectedPerStep(int item) {
        return 1.0 / stepsBetween(item);
    }

    /**
     * log P(item appears at least once among one step's candidates) under a Poisson approximation:
     * {@code log(1 - exp(-x))} with {@code x = 1/delta + extraPerStep}, where {@code extraPerStep} is the expected
     * number of additional draws of the item per step (e.g. from uniform negatives; 0 for pure in-batch).
     * Finite for every {@code x > 0}, and close to {@code log(x)} for tiny {@code x}.
     */
    public double inclusionLogProbability(int item, double extraPerStep) {
        if (!(extraPerStep >= 0) || Double.isInfinite(extraPerStep)) {
            throw new IllegalArgumentException("extraPerStep must be finite and >= 0: " + extraPerStep);
        }
        return log1mExp(expectedPerStep(item) + extraPerStep);
    }

    /** log(1 - exp(-x)) for x > 0, stable at both ends (Maechler 2012). */
    static double log1mExp(double x) {
        if (x < 1e-300) {
            return Math.log(x); // 1 - exp(-x) = x to double precision; avoids expm1 underflow near MIN_VALUE
        }
        return x <= Math.log(2) ? Math.log(-Math.expm1(-x)) : Math.log1p(-Math.exp(-x));
    }

    /** The number of {@link #update} calls so far. */
    public long step() {
        return step;
    }

    /** Writes the complete state; {@link #readFrom} restores an estimator that behaves identically. */
    public void writeTo(DataOutput out) throws IOException {
        out.writeInt(FORMAT_VERSION);
        out.writeInt(buckets);
        out.writeInt(hashes);
        out.writeDouble(alpha);
        out.writeLong(seed);
        out.writeLong(step);
        for (int a : lastSeen) {
            out.writeInt(a);
        }
        for (float b : stepsBetween) {
            out.writeFloat(b);
        }
    }

    public static StreamingFrequencyEstimator readFrom(DataInput in) throws IOException {
        int version = in.readInt();
        if (version != FORMAT_VERSION) {
            throw new IOException("unsupported StreamingFrequencyEstimator format version " + version);
        }
        int buckets = in.readInt();
        int hashes = in.readInt();
        double alpha = in.readDouble();
        long seed = in.readLong();
        StreamingFrequencyEstimator e;
        try {
            e = new StreamingFrequencyEstimator(buckets, hashes, alpha, seed);
        } catch (IllegalArgumentException bad) {
            throw new IOException("corrupt StreamingFrequencyEstimator state: " + bad.getMessage(), bad);
        }
        e.step = in.readLong();
        if (e.step < 0 || e.step > Integer.MAX_VALUE) {
            throw new IOException("corrupt StreamingFrequencyEstimator step: " + e.step);
        }
        for (int i = 0; i < e.lastSeen.length; i++) {
            e.lastSeen[i] = in.readInt();
        }
        for (int i = 0; i < e.stepsBetween.length; i++) {
            e.stepsBetween[i] = in.readFloat();
        }
        return e;
    }

    /** bucket_h(item) = floorMod(SplitMix64.mix(seed, h, item), buckets), without the varargs allocation. */
    int bucket(int h, int item) {
        long mixed = scramble(hashPrefix[h] ^ scramble((long) item + GOLDEN));
        return (int) Math.floorMod(mixed, (long) buckets);
    }

    /** Same finalizer as {@link SplitMix64}'s private one; {@code bucket} is tested against SplitMix64.mix. */
    private static long scramble(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
