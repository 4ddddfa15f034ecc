package io.twotower.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class SplitMix64Test {
    @Test
    void matchesTheReferenceSequence() {
        // Vigna's splitmix64.c from state 0: every shuffle, sample and initialisation depends on these.
        SplitMix64 rng = new SplitMix64(0);
        assertThat(rng.nextLong()).isEqualTo(0xE220A8397B1DCDAFL);
        assertThat(rng.nextLong()).isEqualTo(0x6E789E6AA1B965F4L);
        assertThat(rng.nextLong()).isEqualTo(0x06C45D188009454FL);
    }

    @Test
    void nextIntStaysInRangeAndRejectsEmptyRanges() {
        SplitMix64 rng = new SplitMix64(42);
        for (int i = 0; i < 10_000; i++) {
            assertThat(rng.nextInt(7)).isBetween(0, 6);
        }
        assertThatThrownBy(() -> rng.nextInt(0)).hasMessageContaining("bound");
    }

    @Test
    void mixDependsOnEveryPartAndItsOrder() {
        assertThat(SplitMix64.mix(1, 2)).isNotEqualTo(SplitMix64.mix(2, 1));
        assertThat(SplitMix64.mix(1, 2)).isNotEqualTo(SplitMix64.mix(1, 3));
        assertThat(SplitMix64.mix(1, 2)).isEqualTo(SplitMix64.mix(1, 2));
    }
}
