package io.twotower.job.prepare;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class PreparedDatasetTest {
    /** a: 2 3 5 7 (items 0..3), b: 5 3 (2, 1), c: 7 (3). */
    static List<UserHistory> users() {
        List<UserHistory> users = new ArrayList<>();
        users.add(new UserHistory("a", new String[] {"2", "3", "5", "7"}));
        users.add(new UserHistory("b", new String[] {"5", "3"}));
        users.add(new UserHistory("c", new String[] {"7"}));
        return users;
    }

    @Test
    void validationOnlyHoldsOutEachUsersLastItem() {
        PreparedDataset d = PreparedDataset.build(users(), 50, Holdout.VAL);
        assertThat(d.test).isNull();
        assertThat(d.testBaselines).isEmpty();
        assertThat(d.validation.users()).containsExactly(0, 1, 2);
        assertThat(d.validation.positives()).containsExactly(3, 1, 3);
        assertThat(d.validation.historyText(0)).isEqualTo("0 1 2");
        assertThat(d.train.size()).isEqualTo(3 + 1);
    }

    @Test
    void valPlusTestHoldsOutTheLastForTestAndTheOneBeforeForValidation() {
        PreparedDataset d = PreparedDataset.build(users(), 2, Holdout.VAL_TEST);
        // Test: every user's last item, after all their earlier items (the last 2 of them: --max-history 2).
        assertThat(d.test.users()).containsExactly(0, 1, 2);
        assertThat(d.test.positives()).containsExactly(3, 1, 3);
        assertThat(d.test.historyText(0)).isEqualTo("1 2");
        assertThat(d.test.historyText(1)).isEqualTo("2");
        assertThat(d.test.historyText(2)).isNull();
        // Validation: the second-to-last; a user with one item has none.
        assertThat(d.validation.users()).containsExactly(0, 1);
        assertThat(d.validation.positives()).containsExactly(2, 2);
        assertThat(d.validation.historyText(0)).isEqualTo("0 1");
        assertThat(d.validation.historyText(1)).isNull();
        // Training: everything before; b and c have no training row.
        assertThat(d.train.users()).containsExactly(0, 0);
        assertThat(d.train.positives()).containsExactly(0, 1);
        // Popularity counts training rows only (items 0 and 1 once each, then ties by lower index: 0 1 2 3 ...):
        // every held-out positive is in the top 10 of 4 items, over all items.
        assertThat(d.testBaselines.get("most_popular")).isEqualTo(1.0);
        assertThat(d.baselines.get("most_popular")).isEqualTo(1.0);
    }
}
