package io.twotower.common;

/**
 * A tiny seeded random generator whose whole state is one long, so it can be checkpointed and derived
 * from (seed, epoch, row) without coordination.
 */
public final class SplitMix64 {
    private long state;

    public SplitMix64(long seed) {
        this.state = seed;
    }

    /** Mixes several values into one well-spread seed. */
    public static long mix(long... parts) {
        long h = 0x9E3779B97F4A7C15L;
        for (long p : parts) {
            h = scramble(h ^ scramble(p + 0x9E3779B97F4A7C15L));
        }
        return h;
    }

    private static long scramble(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    public long nextLong() {
        state += 0x9E3779B97F4A7C15L;
        return scramble(state);
    }

    /** Uniform in [0, bound), without modulo bias. */
    public int nextInt(int bound) {
        if (bound <= 0) {
            throw new IllegalArgumentException("bound must be positive: " + bound);
        }
        long limit = Long.remainderUnsigned(-1L, bound);
        while (true) {
            long r = nextLong();
            if (Long.compareUnsigned(r, -1L - limit) <= 0 || limit == 0) {
                return (int) Long.remainderUnsigned(r, bound);
            }
        }
    }

    /** Uniform in [0, 1). */
    public double nextDouble() {
        return (nextLong() >>> 11) * 0x1.0p-53;
    }

    /** Standard normal (Box-Muller). */
    public double nextGaussian() {
        double u1 = nextDouble();
        double u2 = nextDouble();
        return Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2);
    }

    public long state() {
        return state;
    }
}
