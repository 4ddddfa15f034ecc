package io.twotower.job.online;

/**
 * Whether a closed window is a regression, so that its snapshot is written but LATEST stays where it was. A
 * window is judged by its prequential Recall@K against the last accepted window's, not the best ever: over a
 * growing catalog Recall@K drifts down slowly, and a best-so-far reference would make every later window a
 * regression. Three rules keep noise and lasting shifts from freezing LATEST:
 * <ul>
 *   <li>a window that ranked fewer than {@code minEvents} events is not judged and is no reference: its recall
 *       is noise (a window of two events has a recall of 0, 0.5 or 1);</li>
 *   <li>the drop must exceed the tolerance plus two standard errors of the window's recall (binomial, at the
 *       reference's rate), so a smaller window needs a larger drop;</li>
 *   <li>after {@code patience} regressions in a row the level has moved for good (a cold start whose catalog
 *       grows, a change in the data): the window becomes the new reference and is accepted, and the log says so,
 *       instead of LATEST staying on an old snapshot for ever.</li>
 * </ul>
 */
final class RegressionGuard {
    /** What the guard decided for one window. */
    enum Verdict { ACCEPTED, REGRESSION, REBASELINED, NOT_JUDGED }

    private final double tolerance;
    private final long minEvents;
    private final int patience;

    RegressionGuard(OnlineSpec spec) {
        this(spec.regressionTolerance, spec.regressionMinEvents, spec.regressionPatience);
    }

    RegressionGuard(double tolerance, long minEvents, int patience) {
        this.tolerance = tolerance;
        this.minEvents = minEvents;
        this.patience = patience;
    }

    /** Judges a window of {@code ranked} ranked events and recall {@code recall}; updates the reference in totals. */
    Verdict judge(OnlineRun.Totals totals, double recall, long ranked) {
        if (ranked == 0 || ranked < minEvents) {
            return Verdict.NOT_JUDGED;
        }
        double reference = totals.acceptedRecall;
        if (reference >= 0) {
            double standardError = Math.sqrt(reference * (1 - reference) / ranked);
            if (recall < reference - tolerance - 2 * standardError) {
                totals.consecutiveRegressions++;
                if (totals.consecutiveRegressions < patience) {
                    return Verdict.REGRESSION;
                }
                totals.consecutiveRegressions = 0;
                totals.acceptedRecall = recall;
                return Verdict.REBASELINED;
            }
        }
        totals.consecutiveRegressions = 0;
        totals.acceptedRecall = recall;
        return Verdict.ACCEPTED;
    }
}
