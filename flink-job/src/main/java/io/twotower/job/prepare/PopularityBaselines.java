package io.twotower.job.prepare;

/**
 * The popularity baselines of {@code prepare}: recommend the 10 items with the most training interactions
 * ({@code most_popular}), or skip the items the user already interacted with first
 * ({@code most_popular_excluding_history}). Decides each held-out row on its own, so the rows can be spread over
 * subtasks and the hits added up.
 */
public final class PopularityBaselines {
    public static final int TOP_K = 10;
    public static final String MOST_POPULAR = "most_popular";
    public static final String EXCLUDING_HISTORY = "most_popular_excluding_history";

    private final int[] order;
    private final int[] rank;
    private final boolean[] seen;

    /** {@code order}: the catalog in popularity order ({@link PopularityRanking#order}). */
    public PopularityBaselines(int[] order) {
        this.order = order;
        this.rank = new int[order.length];
        for (int r = 0; r < order.length; r++) {
            rank[order[r]] = r;
        }
        this.seen = new boolean[order.length];
    }

    /** Whether {@code positive} is among the 10 most popular items. */
    public boolean mostPopularHits(int positive) {
        return rank[positive] < TOP_K;
    }

    /** Whether {@code positive} is among the 10 most popular items that are not in {@code history[0 .. length)}. */
    public boolean excludingHistoryHits(int positive, int[] history, int length) {
        for (int i = 0; i < length; i++) {
            seen[history[i]] = true;
        }
        boolean hit = false;
        int taken = 0;
        for (int r = 0; r < order.length && taken < TOP_K; r++) {
            if (seen[order[r]]) {
                continue;
            }
            if (order[r] == positive) {
                hit = true;
                break;
            }
            taken++;
        }
        for (int i = 0; i < length; i++) {
            seen[history[i]] = false;
        }
        return hit;
    }
}
