package io.twotower.connectors;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/**
 * Connectors are for reading and writing data: a user of them must not need DJL or libtorch's natives
 * (about 200 MB). This test runs on the module's own test class path, which is what a connector user gets.
 */
class NoTrainingEngineTest {
    @Test
    void djlAndTheModelAreNotOnTheClassPath() {
        ClassLoader loader = NoTrainingEngineTest.class.getClassLoader();
        assertThatThrownBy(() -> Class.forName("ai.djl.ndarray.NDArray", false, loader))
                .isInstanceOf(ClassNotFoundException.class);
        assertThatThrownBy(() -> Class.forName("io.twotower.model.TwoTowerModel", false, loader))
                .isInstanceOf(ClassNotFoundException.class);
    }
}
