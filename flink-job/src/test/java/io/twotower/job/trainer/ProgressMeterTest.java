package io.twotower.job.trainer;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ProgressMeterTest {
    private static final long SECOND = 1_000_000_000L;

    @Test
    void oneLinePerIntervalWithShareRateAndTimeLeft() {
        ProgressMeter meter = new ProgressMeter(10 * SECOND, "examples");
        meter.restart(0, 0);
        assertThat(meter.line(5 * SECOND, 5_000, 100_000)).isNull();
        assertThat(meter.line(10 * SECOND, 10_000, 100_000))
                .isEqualTo("10000 of 100000 examples (10%), 1000 examples/s, ETA 1:30");
        assertThat(meter.line(15 * SECOND, 15_000, 100_000)).isNull();
        assertThat(meter.line(20 * SECOND, 40_000, 100_000))
                .isEqualTo("40000 of 100000 examples (40%), 2000 examples/s, ETA 0:30");
    }

    @Test
    void aRestoredRunCountsOnlyWhatThisProcessDid() {
        ProgressMeter meter = new ProgressMeter(10 * SECOND, "examples");
        meter.restart(100 * SECOND, 50_000);
        assertThat(meter.line(110 * SECOND, 55_000, 100_000))
                .isEqualTo("55000 of 100000 examples (55%), 500 examples/s, ETA 1:30");
    }

    @Test
    void unknownTotalHasNoShareNorEta() {
        ProgressMeter meter = new ProgressMeter(10 * SECOND, "events");
        meter.restart(0, 0);
        assertThat(meter.line(10 * SECOND, 1234, 0)).isEqualTo("1234 events, 123 events/s");
    }

    @Test
    void hoursAreWrittenOut() {
        assertThat(ProgressMeter.duration(3 * 3600 + 62)).isEqualTo("3:01:02");
        assertThat(ProgressMeter.duration(59.4)).isEqualTo("0:59");
    }
}
