package io.twotower.model;

/**
 * How the history tower weighs a user's recent items: the plain mean, or recency weights decay^age
 * (age 0 = the latest item) normalised to sum 1. Weights are computed here, on the JVM side, so the
 * pooling itself is one weighted sum over a fixed-width window; padding slots get weight 0.
 */
public final class HistoryPooling {
    private final int length;
    private final boolean recency;
    private final double decay;

    private HistoryPooling(int length, boolean recency, double decay) {
        this.length = length;
        this.recency = recency;
        this.decay = decay;
    }

    public static HistoryPooling of(TwoTowerConfig config) {
        return new HistoryPooling(config.historyLength(), config.recencyPooling(), config.recencyDecay());
    }

    public int length() {
        return length;
    }

    /**
     * Fills {@code slots[i * length + j]} with row i's j-th item (oldest first; padding: item 0) and
     * {@code weights} with its pooling weight. An empty history pools to the zero vector.
     */
    public void fill(int[] items, int[] counts, int n, long[] slots, float[] weights) {
        for (int i = 0; i < n; i++) {
            int base = i * length;
            int count = Math.min(counts[i], length);
            double total = 0;
            for (int j = 0; j < count; j++) {
                total += weight(count - 1 - j);
            }
            for (int j = 0; j < length; j++) {
                if (j < count) {
                    slots[base + j] = items[base + j];
                    weights[base + j] = (float) (weight(count - 1 - j) / total);
                } else {
                    slots[base + j] = 0;
                    weights[base + j] = 0f;
                }
            }
        }
    }

    private double weight(int age) {
        return recency ? Math.pow(decay, age) : 1.0;
    }
}
