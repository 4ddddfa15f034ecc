package io.twotower.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.twotower.common.SplitMix64;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The embedding tables are drawn in row chunks straight into libtorch memory; a seeded model must be exactly
 * the one the whole-table {@code float[]} initialisation made (the same draws in the same order).
 */
class TowerInitialisationTest {
    /** What Tower.initialise did before the chunks: one array of the whole table, then the Linear layers. */
    private static float[][] wholeTableWay(SplitMix64 rng, int rows, int d) {
        float[][] p = new float[9][];
        p[0] = Tower.normal(rng, (long) rows * d, 0.1);
        for (int layer = 0; layer < 2; layer++) {
            int base = 1 + layer * 4;
            double bound = 1.0 / Math.sqrt(d);
            p[base] = Tower.uniform(rng, (long) d * d, bound);
            p[base + 1] = Tower.uniform(rng, d, bound);
            p[base + 2] = filled(d, 1f);
            p[base + 3] = filled(d, 0f);
        }
        return p;
    }

    private static float[] filled(int n, float value) {
        float[] out = new float[n];
        java.util.Arrays.fill(out, value);
        return out;
    }

    @Test
    void chunkedTableIsTheWholeTableDrawnInOneGo() {
        int rows = 11;
        int d = 4;
        float[][] expected = wholeTableWay(new SplitMix64(7), rows, d);
        // 3 rows of 16 bytes per chunk: 4 chunks, the last one short.
        for (int chunkBytes : new int[] {1, 48, 50, 1 << 20}) {
            try (NDManager manager = NDManager.newBaseManager()) {
                Tower tower = Tower.initialise("t", manager, rows, d, 0.1f, new SplitMix64(7), chunkBytes, Tower.EMBEDDING_STD);
                NDArray[] p = tower.parameters();
                assertThat(p[0].getShape().getShape()).containsExactly(rows, d);
                for (int i = 0; i < 9; i++) {
                    assertThat(p[i].toFloatArray()).as("parameter %d, chunks of %d bytes", i, chunkBytes)
                            .containsExactly(expected[i]);
                }
                assertThat(p[0].hasGradient()).as("a trainable table").isTrue();
            }
        }
    }

    @Test
    void seededModelIsTheWholeTableModel() {
        TwoTowerConfig config = TwoTowerConfig.defaults().withValues(Map.of("d_model", 8, "seed", 42), "test");
        SplitMix64 rng = new SplitMix64(SplitMix64.mix(42, 0x70E7L));
        float[][] user = wholeTableWay(rng, 5, 8);
        float[][] item = wholeTableWay(rng, 9, 8);
        try (NDManager manager = NDManager.newBaseManager();
                TwoTowerModel model = TwoTowerModel.initialise(manager.newSubManager(), config, 5, 9)) {
            NDArray[] p = model.parameters();
            for (int i = 0; i < 9; i++) {
                assertThat(p[i].toFloatArray()).as("user parameter %d", i).containsExactly(user[i]);
                assertThat(p[9 + i].toFloatArray()).as("item parameter %d", i).containsExactly(item[i]);
            }
        }
    }
}
