package io.twotower.job.trainer;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class NativeHeapTrimTest {
    @Test
    void trimsAtMostOncePerIntervalAfterTheFirstCall() {
        NativeHeapTrim trim = new NativeHeapTrim(1_000);
        trim.maybeTrim(10_000);
        assertThat(trim.trims()).as("the first call starts the clock").isZero();
        trim.maybeTrim(10_500);
        assertThat(trim.trims()).isZero();
        trim.maybeTrim(11_000);
        assertThat(trim.trims()).isEqualTo(1);
        trim.maybeTrim(11_999);
        assertThat(trim.trims()).isEqualTo(1);
        trim.maybeTrim(12_000);
        assertThat(trim.trims()).isEqualTo(2);
    }

    @Test
    void readsThisProcesssResidentSet() {
        // The build machines run Linux with glibc: the trim runs and RSS is readable.
        assertThat(NativeHeapTrim.residentKb()).isPositive();
        new NativeHeapTrim(0).trimNow();
        assertThat(NativeHeapTrim.residentKb()).isPositive();
    }
}
