package io.twotower.job.prepare;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** The per-user protocol pieces the distributed {@code prepare} applies: held-out positions and the baselines. */
class HoldoutProtocolTest {
    @Test
    void validationOnlyHoldsOutEachUsersLastItem() {
        assertThat(Holdout.VAL.trainEnd(4)).isEqualTo(3);
        assertThat(Holdout.VAL.validationAt(4)).isEqualTo(3);
        assertThat(Holdout.VAL.testAt(4)).isEqualTo(-1);
        assertThat(Holdout.VAL.trainEnd(1)).isZero();
        assertThat(Holdout.VAL.validationAt(1)).isZero();
    }

    @Test
    void valPlusTestHoldsOutTheLastForTestAndTheOneBeforeForValidation() {
        assertThat(Holdout.VAL_TEST.trainEnd(4)).isEqualTo(2);
        assertThat(Holdout.VAL_TEST.validationAt(4)).isEqualTo(2);
        assertThat(Holdout.VAL_TEST.testAt(4)).isEqualTo(3);
        // A user with one item has only a test row.
        assertThat(Holdout.VAL_TEST.trainEnd(1)).isZero();
        assertThat(Holdout.VAL_TEST.validationAt(1)).isEqualTo(-1);
        assertThat(Holdout.VAL_TEST.testAt(1)).isZero();
    }

    @Test
    void popularityOrderIsByCountThenLowerIndex() {
        assertThat(PopularityRanking.order(new int[] {1, 3, 0, 3, 2})).containsExactly(1, 3, 4, 0, 2);
        assertThat(PopularityRanking.order(new int[] {0, 0, 0})).containsExactly(0, 1, 2);
    }

    /** The baselines decide each row as the whole-list scan they replace: over random catalogs and histories. */
    @Test
    void baselinesAgreeWithScanningThePopularityList() {
        Random random = new Random(7);
        for (int trial = 0; trial < 300; trial++) {
            int items = 1 + random.nextInt(40);
            int[] counts = new int[items];
            for (int i = 0; i < items; i++) {
                counts[i] = random.nextInt(5);
            }
            int[] order = PopularityRanking.order(counts);
            PopularityBaselines baselines = new PopularityBaselines(order);
            int[] history = new int[random.nextInt(30)];
            for (int i = 0; i < history.length; i++) {
                history[i] = random.nextInt(items);
            }
            int positive = random.nextInt(items);
            java.util.Set<Integer> seen = new java.util.HashSet<>();
            for (int h : history) {
                seen.add(h);
            }
            java.util.List<Integer> top = new java.util.ArrayList<>();
            java.util.List<Integer> topUnseen = new java.util.ArrayList<>();
            for (int item : order) {
                if (top.size() < PopularityBaselines.TOP_K) {
                    top.add(item);
                }
                if (topUnseen.size() < PopularityBaselines.TOP_K && !seen.contains(item)) {
                    topUnseen.add(item);
                }
            }
            assertThat(baselines.mostPopularHits(positive)).as("trial %d", trial).isEqualTo(top.contains(positive));
            assertThat(baselines.excludingHistoryHits(positive, history, history.length)).as("trial %d", trial)
                    .isEqualTo(topUnseen.contains(positive));
        }
    }

    /** The held-out writer gets each user's tail only: the rows it writes from it are the whole sequence's. */
    @Test
    void heldOutTailGivesTheRowsOfTheWholeSequence() {
        int maxHistory = 3;
        for (Holdout holdout : Holdout.values()) {
            for (int n = 1; n < 12; n++) {
                int[] items = new int[n];
                for (int i = 0; i < n; i++) {
                    items[i] = 100 + i;
                }
                UserSequence tail = HeldOutWriter.heldOutTail(new UserSequence(5, items), holdout, maxHistory);
                assertThat(rows(tail.items, holdout, maxHistory)).as("%s, n=%d", holdout, n)
                        .isEqualTo(rows(items, holdout, maxHistory));
            }
        }
    }

    private static String rows(int[] items, Holdout holdout, int maxHistory) {
        StringBuilder sb = new StringBuilder();
        for (int at : new int[] {holdout.validationAt(items.length), holdout.testAt(items.length)}) {
            if (at >= 0) {
                sb.append(items[at]).append(java.util.Arrays.toString(
                        java.util.Arrays.copyOfRange(items, Math.max(0, at - maxHistory), at))).append(';');
            }
        }
        return sb.toString();
    }
}
