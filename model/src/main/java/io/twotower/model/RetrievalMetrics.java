package io.twotower.model;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The retrieval metrics of one evaluation over the full catalog: Recall@{K,50,100}, NDCG@K, MRR and
 * catalog coverage@K (the share of items that appear in at least one row's top K).
 */
public final class RetrievalMetrics {
    private RetrievalMetrics() {}

    /** Evaluates and returns the metrics by name; {@code excluded} non-null filters each row's seen items. */
    public static Map<String, Double> evaluate(RetrievalEvaluator evaluator, TwoTowerModel model, int[] users,
            int[][] histories, int[] positives, int[][] excluded, int k) {
        boolean[] recommended = new boolean[model.numItems()];
        int[] ranks = evaluator.ranks(model, users, histories, positives, excluded, k, recommended);
        return fromRanks(ranks, recommended, k);
    }

    static Map<String, Double> fromRanks(int[] ranks, boolean[] recommended, int k) {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("Recall@" + k, RetrievalEvaluator.recallAt(ranks, k));
        m.put("Recall@50", RetrievalEvaluator.recallAt(ranks, 50));
        m.put("Recall@100", RetrievalEvaluator.recallAt(ranks, 100));
        m.put("NDCG@" + k, RetrievalEvaluator.ndcgAt(ranks, k));
        m.put("MRR", RetrievalEvaluator.mrr(ranks));
        int covered = 0;
        for (boolean r : recommended) {
            if (r) {
                covered++;
            }
        }
        m.put("Coverage@" + k, recommended.length == 0 ? 0 : (double) covered / recommended.length);
        return m;
    }
}
