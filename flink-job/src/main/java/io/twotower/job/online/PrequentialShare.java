package io.twotower.job.online;

/**
 * Which mini-batches {@code online} ranks against the whole catalog before training on them (test-then-train).
 * Ranking costs batch x catalog x d_model per batch: at 10^4 items that is noise beside the training step, at 10^6
 * it is many times the step. {@code --rank-share} picks the share of batches that are ranked, spread evenly over
 * the stream (batch b is ranked when floor((b+1) * share) > floor(b * share)); the windows' Recall@K is then over
 * the ranked events (an unbiased sample of them), and every window reports how many it ranked. {@code auto} is
 * resolved per batch from the catalog as it is then, so a cold start that grows to a large catalog thins out.
 */
final class PrequentialShare {
    /** Catalogs up to this size are ranked in every batch when the share is {@code auto}. */
    static final int AUTO_FULL_CATALOG = 100_000;

    private PrequentialShare() {}

    /** The share in effect: {@code setting} in (0, 1], or for {@code auto} (negative) 1 up to 100k items, else 100k/items. */
    static double resolve(double setting, int items) {
        if (setting >= 0) {
            return setting;
        }
        return items <= AUTO_FULL_CATALOG ? 1.0 : (double) AUTO_FULL_CATALOG / items;
    }

    /** Whether the {@code batch}-th mini-batch (0-based, over the whole run) is ranked. */
    static boolean ranks(long batch, double share) {
        if (share >= 1) {
            return true;
        }
        return Math.floor((batch + 1) * share) > Math.floor(batch * share);
    }
}
