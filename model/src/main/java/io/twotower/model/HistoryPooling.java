package io.twotower.model;

/**
 * How the history tower weighs a user's recent items: the plain mean, or recency weights decay^age
 * (age 0 = the latest item) normalised to sum 1. Weights are computed here, on the JVM side, so the
 * pooling itself is one weighted sum over a fixed-width window; padding slots get weight 0.
 */
public final class HistoryPooling {
    private final int length;
    /** weightsByCount[c][j]: the weight of item j (oldest first) in a history of c items. */
    private final float[][] weightsByCount;

    private HistoryPooling(int length, boolean recency, double decay) {
        this.length = length;
        this.weightsByCount = new float[length + 1][];
        for (int count = 0; count <= length; count++) {
            double[] raw = new double[count];
            double total = 0;
            for (int j = 0; j < count; j++) {
                raw[j] = recency ? Math.pow(decay, count - 1 - j) : 1.0;
                total += raw[j];
            }
            weightsByCount[count] = new float[count];
            for (int j = 0; j < count; j++) {
                weightsByCount[count][j] = (float) (raw[j] / total);
            }
        }
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
        fill(items, counts, n, slots, weights, 0);
    }

    /**
     * As above with {@code padding} in the padding slots: any row the lookup can read, since its weight is 0
     * (a sparse step's leaf holds only the batch's rows, which need not include item 0).
     */
    public void fill(int[] items, int[] counts, int n, long[] slots, float[] weights, long padding) {
        for (int i = 0; i < n; i++) {
            int base = i * length;
            float[] w = weightsByCount[Math.min(counts[i], length)];
            for (int j = 0; j < length; j++) {
                boolean used = j < w.length;
                slots[base + j] = used ? items[base + j] : padding;
                weights[base + j] = used ? w[j] : 0f;
            }
        }
    }
}
