package io.twotower.job.prepare;

import io.twotower.connectors.dataset.Sequences;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The protocol that turns users' ordered interactions into the notebook's input: dense ids in raw-id
 * order, each user's last interaction held out for validation ({@link Holdout#VAL}) or the last for test and
 * the one before it for validation ({@link Holdout#VAL_TEST}), every earlier one a training row with the
 * history before it (its last {@code maxHistory} items), and popularity baselines on the held-out rows.
 */
public final class PreparedDataset {
    public static final int TOP_K = 10;

    public final List<String> userIds;
    public final List<String> itemIds;
    /** The notebook's training rows, or null when only {@link #trainItems} was built (the compact layout). */
    public final Sequences train;
    /** Each user's training items in time order, by dense user index: the compact layout's rows. */
    public final int[][] trainItems;
    /** Training rows: one per training item. */
    public final long trainRows;
    public final Sequences validation;
    /** Each user's last interaction with {@link Holdout#VAL_TEST}, else null. */
    public final Sequences test;
    /** Baseline name to Recall@10 on the validation rows. */
    public final Map<String, Double> baselines;
    /** Baseline name to Recall@10 on the test rows (empty without a test split). */
    public final Map<String, Double> testBaselines;

    private PreparedDataset(List<String> userIds, List<String> itemIds, Sequences train, int[][] trainItems,
            long trainRows, Sequences validation, Sequences test, Map<String, Double> baselines,
            Map<String, Double> testBaselines) {
        this.userIds = userIds;
        this.itemIds = itemIds;
        this.train = train;
        this.trainItems = trainItems;
        this.trainRows = trainRows;
        this.validation = validation;
        this.test = test;
        this.baselines = baselines;
        this.testBaselines = testBaselines;
    }

    public static PreparedDataset build(List<UserHistory> histories, int maxHistory) {
        return build(histories, maxHistory, Holdout.VAL);
    }

    /**
     * With {@link Holdout#VAL_TEST}, a user's items i_1..i_n give the test row (i_n, i_1..i_{n-1}), the validation
     * row (i_{n-1}, i_1..i_{n-2}) and training rows for t = 1..n-2; a user with one item has only a test row.
     * Popularity counts the training rows only, for both held-out sets; the seen items a baseline skips are
     * the user's items before the held-out one.
     */
    public static PreparedDataset build(List<UserHistory> histories, int maxHistory, Holdout holdout) {
        return build(histories, maxHistory, holdout, true);
    }

    /**
     * As above; without {@code expandTrain} the notebook's training rows (each with its history: up to 50x the
     * interactions) are not built, only {@link #trainItems}, which the compact layout writes.
     */
    public static PreparedDataset build(List<UserHistory> histories, int maxHistory, Holdout holdout,
            boolean expandTrain) {
        List<UserHistory> users = new ArrayList<>(histories);
        users.sort((a, b) -> RawIdOrder.INSTANCE.compare(a.user, b.user));
        List<String> itemIds = new ArrayList<>(distinctItems(users));
        itemIds.sort(RawIdOrder.INSTANCE);
        Map<String, Integer> itemIndex = new HashMap<>(itemIds.size() * 2);
        for (int i = 0; i < itemIds.size(); i++) {
            itemIndex.put(itemIds.get(i), i);
        }
        int heldOut = holdout == Holdout.VAL_TEST ? 2 : 1;
        long interactions = users.stream().mapToLong(u -> u.items.length).sum();
        Sequences train = expandTrain ? new Sequences((int) Math.max(1, interactions - heldOut * users.size())) : null;
        int[][] trainItems = new int[users.size()][];
        long trainRows = 0;
        Sequences validation = new Sequences(users.size());
        Sequences test = holdout == Holdout.VAL_TEST ? new Sequences(users.size()) : null;
        List<String> userIds = new ArrayList<>(users.size());
        int[] popularity = new int[itemIds.size()];
        int[][] seenBeforeValidation = new int[users.size()][];
        int[][] seenBeforeTest = new int[users.size()][];
        for (int u = 0; u < users.size(); u++) {
            UserHistory h = users.get(u);
            userIds.add(h.user);
            int[] seq = new int[h.items.length];
            for (int t = 0; t < seq.length; t++) {
                seq[t] = itemIndex.get(h.items[t]);
            }
            int n = seq.length;
            int trainEnd = Math.max(0, n - heldOut);
            trainItems[u] = Arrays.copyOf(seq, trainEnd);
            trainRows += trainEnd;
            for (int t = 0; t < trainEnd; t++) {
                if (train != null) {
                    train.add(u, seq[t], seq, Math.max(0, t - maxHistory), t);
                }
                popularity[seq[t]]++;
            }
            int validationAt = n - heldOut;
            if (validationAt >= 0) {
                validation.add(u, seq[validationAt], seq, Math.max(0, validationAt - maxHistory), validationAt);
                seenBeforeValidation[u] = Arrays.copyOf(seq, validationAt);
            }
            if (test != null) {
                test.add(u, seq[n - 1], seq, Math.max(0, n - 1 - maxHistory), n - 1);
                seenBeforeTest[u] = Arrays.copyOf(seq, n - 1);
            }
        }
        return new PreparedDataset(userIds, itemIds, train, trainItems, trainRows, validation, test,
                baselines(validation, popularity, seenBeforeValidation),
                test == null ? Map.of() : baselines(test, popularity, seenBeforeTest));
    }

    private static Map<String, Double> baselines(Sequences rows, int[] popularity, int[][] seenByUser) {
        Map<String, Double> baselines = new LinkedHashMap<>();
        baselines.put("most_popular", popularityRecall(rows, popularity, null));
        baselines.put("most_popular_excluding_history", popularityRecall(rows, popularity, seenByUser));
        return baselines;
    }

    private static java.util.Set<String> distinctItems(List<UserHistory> users) {
        java.util.Set<String> items = new java.util.HashSet<>();
        for (UserHistory u : users) {
            items.addAll(Arrays.asList(u.items));
        }
        return items;
    }

    /**
     * Recall@10 of recommending the most frequent training items (ties by lower index); with
     * {@code seenByUser}, the items the user already interacted with are skipped first.
     */
    static double popularityRecall(Sequences validation, int[] popularity, int[][] seenByUser) {
        Integer[] order = new Integer[popularity.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> popularity[a] != popularity[b] ? Integer.compare(popularity[b], popularity[a])
                : Integer.compare(a, b));
        int hits = 0;
        boolean[] seen = new boolean[popularity.length];
        for (int r = 0; r < validation.size(); r++) {
            int user = validation.user(r);
            int[] exclude = seenByUser == null ? new int[0] : seenByUser[user];
            for (int item : exclude) {
                seen[item] = true;
            }
            int taken = 0;
            for (int i = 0; i < order.length && taken < TOP_K; i++) {
                if (seen[order[i]]) {
                    continue;
                }
                if (order[i] == validation.positive(r)) {
                    hits++;
                    break;
                }
                taken++;
            }
            for (int item : exclude) {
                seen[item] = false;
            }
        }
        return validation.size() == 0 ? 0 : (double) hits / validation.size();
    }
}
