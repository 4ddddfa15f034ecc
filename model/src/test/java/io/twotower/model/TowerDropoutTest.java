package io.twotower.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import io.twotower.common.SplitMix64;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The towers' inverted dropout: its rate and scale, reproducibility from the seed, and none in eval mode. */
class TowerDropoutTest {
    @Test
    void dropsAboutPAndScalesTheRestReproducibly() {
        try (NDManager manager = NDManager.newBaseManager()) {
            JniUtils.setGradMode(false);
            NDArray ones = manager.ones(new Shape(256, 256));
            JniUtils.setSeed(7);
            float[] a = Tower.dropout(ones, 0.2f).toFloatArray();
            JniUtils.setSeed(7);
            float[] b = Tower.dropout(ones, 0.2f).toFloatArray();
            JniUtils.setSeed(8);
            float[] c = Tower.dropout(ones, 0.2f).toFloatArray();
            assertThat(b).as("same seed, same mask").containsExactly(a);
            assertThat(c).as("another seed, another mask").isNotEqualTo(a);
            int dropped = 0;
            for (float v : a) {
                if (v == 0f) {
                    dropped++;
                } else {
                    assertThat(v).as("kept elements scaled by 1 / (1 - p)").isEqualTo(1f / 0.8f);
                }
            }
            // 65536 draws: the share's standard deviation is 0.0016.
            assertThat((double) dropped / a.length).isBetween(0.19, 0.21);

            Tower tower = Tower.initialise("t", manager, 4, 16, 0.5f, new SplitMix64(1));
            NDArray input = manager.randomNormal(new Shape(8, 16));
            assertThat(tower.forwardInput(input, false).toFloatArray()).as("no dropout in eval mode")
                    .containsExactly(tower.forwardInput(input, false).toFloatArray());
            assertThat(tower.forwardInput(input, true).toFloatArray()).as("dropout in training")
                    .isNotEqualTo(tower.forwardInput(input, false).toFloatArray());
        }
    }
}
