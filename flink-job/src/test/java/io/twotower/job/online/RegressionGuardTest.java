package io.twotower.job.online;

import static io.twotower.job.online.RegressionGuard.Verdict.ACCEPTED;
import static io.twotower.job.online.RegressionGuard.Verdict.NOT_JUDGED;
import static io.twotower.job.online.RegressionGuard.Verdict.REBASELINED;
import static io.twotower.job.online.RegressionGuard.Verdict.REGRESSION;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class RegressionGuardTest {
    private final RegressionGuard guard = new RegressionGuard(0.02, 100, 3);

    @Test
    void aClearDropIsARegressionAndTheReferenceStays() {
        OnlineRun.Totals t = new OnlineRun.Totals();
        assertThat(guard.judge(t, 0.10, 10_000)).isEqualTo(ACCEPTED);
        assertThat(guard.judge(t, 0.05, 10_000)).isEqualTo(REGRESSION);
        assertThat(t.acceptedRecall).isEqualTo(0.10);
        assertThat(guard.judge(t, 0.095, 10_000)).isEqualTo(ACCEPTED);
        assertThat(t.acceptedRecall).isEqualTo(0.095);
    }

    @Test
    void smallWindowsAreNotJudgedAndNoiseIsNoRegression() {
        OnlineRun.Totals t = new OnlineRun.Totals();
        assertThat(guard.judge(t, 0.10, 10_000)).isEqualTo(ACCEPTED);
        assertThat(guard.judge(t, 0.0, 2)).isEqualTo(NOT_JUDGED);
        // 0.055 over 200 events: 0.045 below, within 0.02 + 2 x sqrt(0.1 x 0.9 / 200) = 0.062 of the reference
        assertThat(guard.judge(t, 0.055, 200)).isEqualTo(ACCEPTED);
        // the same drop over 20000 events is real
        t.acceptedRecall = 0.10;
        assertThat(guard.judge(t, 0.055, 20_000)).isEqualTo(REGRESSION);
    }

    @Test
    void aLastingShiftBecomesTheNewLevelAfterThePatience() {
        // As a cold start whose catalog grows: 0.054 at first, then 0.018 to stay (a replayed MovieLens log).
        OnlineRun.Totals t = new OnlineRun.Totals();
        assertThat(guard.judge(t, 0.054, 50_000)).isEqualTo(ACCEPTED);
        assertThat(guard.judge(t, 0.018, 20_000)).isEqualTo(REGRESSION);
        assertThat(guard.judge(t, 0.017, 20_000)).isEqualTo(REGRESSION);
        assertThat(guard.judge(t, 0.018, 20_000)).isEqualTo(REBASELINED);
        assertThat(t.acceptedRecall).isEqualTo(0.018);
        assertThat(guard.judge(t, 0.016, 20_000)).isEqualTo(ACCEPTED);
        assertThat(t.consecutiveRegressions).isZero();
    }
}
