package io.twotower.connectors.source;

import io.twotower.common.SplitMix64;
import org.junit.jupiter.api.Test;

import java.util.BitSet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The proportional merge of several files' rows is one permutation of the epoch, in each file's own order. */
class EpochPositionsTest {
    @Test
    void positionsAreAPermutationAndKeepEachFilesOrder() {
        SplitMix64 rng = new SplitMix64(11);
        for (int trial = 0; trial < 300; trial++) {
            int files = 1 + rng.nextInt(6);
            long[] rows = new long[files];
            for (int f = 0; f < files; f++) {
                // Equal sizes (many ties), zeros, and sizes with common factors.
                rows[f] = trial % 3 == 0 ? 12 : rng.nextInt(4) == 0 ? 0 : 1 + rng.nextInt(trial % 2 == 0 ? 40 : 7) * 6;
            }
            EpochPositions positions = new EpochPositions(rows);
            BitSet seen = new BitSet();
            for (int f = 0; f < files; f++) {
                long previous = -1;
                for (long i = 0; i < rows[f]; i++) {
                    long p = positions.position(f, i);
                    assertThat(p).as("trial %d, file %d, row %d", trial, f, i).isBetween(0L, positions.total() - 1)
                            .isGreaterThan(previous);
                    assertThat(seen.get((int) p)).as("position %d taken twice (trial %d)", p, trial).isFalse();
                    seen.set((int) p);
                    previous = p;
                }
            }
            assertThat(seen.cardinality()).isEqualTo((int) positions.total());
        }
    }

    /** Two equal files alternate; a file of a third the size takes every third-ish position, spread evenly. */
    @Test
    void filesAreSpreadEvenlyOverTheEpoch() {
        EpochPositions equal = new EpochPositions(new long[] {3, 3});
        assertThat(new long[] {equal.position(0, 0), equal.position(1, 0), equal.position(0, 1), equal.position(1, 1)})
                .containsExactly(0, 1, 2, 3);
        EpochPositions uneven = new EpochPositions(new long[] {2, 6});
        // File 0's rows sit at the middle of each half: after 1 and 4 rows of file 1.
        assertThat(uneven.position(0, 0)).isEqualTo(1);
        assertThat(uneven.position(0, 1)).isEqualTo(5);
        assertThatThrownBy(() -> uneven.position(0, 2)).isInstanceOf(IndexOutOfBoundsException.class);
    }
}
