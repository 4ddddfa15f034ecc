package io.twotower.model;

import io.twotower.common.SplitMix64;
import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class UniformNegativeSamplerTest {
    @Test
    void negativesAreDistinctAndAvoidHistoryAndPositive() {
        UniformNegativeSampler sampler = new UniformNegativeSampler(100);
        int[] history = {5, 17, 17, 99, 0};
        int[] out = new int[50];
        SplitMix64 rng = new SplitMix64(1);
        for (int trial = 0; trial < 200; trial++) {
            sampler.sample(42, history, history.length, 50, rng, out, 0);
            Set<Integer> seen = new HashSet<>();
            for (int item : out) {
                assertThat(item).isBetween(0, 99).isNotIn(5, 17, 99, 0, 42);
                assertThat(seen.add(item)).as("duplicate %s", item).isTrue();
            }
        }
    }

    @Test
    void everyAllowedItemIsEquallyLikely() {
        int numItems = 20;
        UniformNegativeSampler sampler = new UniformNegativeSampler(numItems);
        int[] history = {3, 4, 10};
        int[] counts = new int[numItems];
        int[] out = new int[5];
        SplitMix64 rng = new SplitMix64(7);
        int trials = 40_000;
        for (int t = 0; t < trials; t++) {
            sampler.sample(19, history, history.length, 5, rng, out, 0);
            for (int item : out) {
                counts[item]++;
            }
        }
        // 16 allowed items, each drawn 5/16 of the trials in expectation.
        double expected = trials * 5.0 / 16;
        for (int item = 0; item < numItems; item++) {
            if (item == 3 || item == 4 || item == 10 || item == 19) {
                assertThat(counts[item]).isZero();
            } else {
                assertThat(Math.abs(counts[item] - expected) / expected).as("item %s", item).isLessThan(0.03);
            }
        }
    }

    @Test
    void fewerAllowedItemsThanNegativesSamplesWithReplacement() {
        UniformNegativeSampler sampler = new UniformNegativeSampler(4);
        int[] out = new int[6];
        sampler.sample(0, new int[] {1}, 1, 6, new SplitMix64(3), out, 0);
        assertThat(out).containsOnly(2, 3);
        assertThatThrownBy(() -> sampler.sample(0, new int[] {1, 2, 3}, 3, 2, new SplitMix64(3), out, 0))
                .hasMessageContaining("whole catalog");
    }

    @Test
    void sameSeedSameNegatives() {
        UniformNegativeSampler sampler = new UniformNegativeSampler(1000);
        int[] a = new int[50];
        int[] b = new int[50];
        sampler.sample(1, new int[] {2, 3}, 2, 50, new SplitMix64(SplitMix64.mix(42, 1, 7)), a, 0);
        sampler.sample(1, new int[] {2, 3}, 2, 50, new SplitMix64(SplitMix64.mix(42, 1, 7)), b, 0);
        assertThat(a).containsExactly(b);
    }
}
