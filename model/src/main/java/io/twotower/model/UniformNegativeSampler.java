package io.twotower.model;

import io.twotower.common.SplitMix64;
import java.util.Arrays;

/**
 * Samples distinct negatives uniformly from the catalog minus a forbidden set (the row's history and
 * positive), the notebook's distribution, without materialising the catalog minus the set: it draws
 * distinct ranks among the allowed items and maps each rank to an item through the sorted forbidden ids.
 */
public final class UniformNegativeSampler {
    private int numItems;
    private int[] forbidden = new int[64];
    private int[] chosenRanks = new int[64];

    public UniformNegativeSampler(int numItems) {
        if (numItems <= 0) {
            throw new IllegalArgumentException("numItems must be positive: " + numItems);
        }
        this.numItems = numItems;
    }

    /** Changes the catalog size (a vocabulary that grows while training online). */
    public void setNumItems(int numItems) {
        if (numItems <= 0) {
            throw new IllegalArgumentException("numItems must be positive: " + numItems);
        }
        this.numItems = numItems;
    }

    /**
     * Writes {@code k} negatives for one example into {@code out[offset..offset+k)}. As the notebook's
     * {@code np.random.choice(avail, k, replace=len(avail) < k)}: distinct when enough items are allowed.
     */
    public void sample(int positive, int[] history, int historyLength, int k, SplitMix64 rng, int[] out, int offset) {
        sample(positive, history, 0, historyLength, k, rng, out, offset);
    }

    /** As above, the history being {@code items[from .. from + historyLength)} (a slice of a user's sequence). */
    public void sample(int positive, int[] items, int from, int historyLength, int k, SplitMix64 rng, int[] out,
            int offset) {
        int f = sortedForbidden(positive, items, from, historyLength);
        int allowed = numItems - f;
        if (allowed <= 0) {
            throw new IllegalArgumentException(
                    "no negative can be sampled: the user's history covers the whole catalog of " + numItems + " items");
        }
        if (allowed < k) {
            for (int j = 0; j < k; j++) {
                out[offset + j] = itemOfRank(rng.nextInt(allowed), f);
            }
            return;
        }
        if (chosenRanks.length < k) {
            chosenRanks = new int[k];
        }
        // Robert Floyd's algorithm: k distinct ranks in [0, allowed) with exactly k draws.
        int n = 0;
        for (int j = allowed - k; j < allowed; j++) {
            int t = rng.nextInt(j + 1);
            boolean seen = false;
            for (int c = 0; c < n; c++) {
                if (chosenRanks[c] == t) {
                    seen = true;
                    break;
                }
            }
            chosenRanks[n++] = seen ? j : t;
        }
        for (int j = 0; j < k; j++) {
            out[offset + j] = itemOfRank(chosenRanks[j], f);
        }
    }

    /** How many catalog items are allowed as negatives for this row (0: none can be sampled). */
    public int allowed(int positive, int[] history, int historyLength) {
        return numItems - sortedForbidden(positive, history, 0, historyLength);
    }

    private int sortedForbidden(int positive, int[] history, int from, int historyLength) {
        if (forbidden.length < historyLength + 1) {
            forbidden = new int[Math.max(historyLength + 1, forbidden.length * 2)];
        }
        System.arraycopy(history, from, forbidden, 0, historyLength);
        forbidden[historyLength] = positive;
        Arrays.sort(forbidden, 0, historyLength + 1);
        int unique = 0;
        for (int i = 0; i <= historyLength; i++) {
            if (unique == 0 || forbidden[unique - 1] != forbidden[i]) {
                forbidden[unique++] = forbidden[i];
            }
        }
        return unique;
    }

    /** The item with the given rank among the allowed items: rank plus the forbidden ids at or below it. */
    private int itemOfRank(int rank, int forbiddenCount) {
        int lo = 0;
        int hi = forbiddenCount;
        // Find the number of forbidden ids f_i with f_i - i <= rank (forbidden sorted, distinct).
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (forbidden[mid] - mid <= rank) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return rank + lo;
    }
}
