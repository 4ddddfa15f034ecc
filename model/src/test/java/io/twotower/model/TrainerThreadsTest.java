package io.twotower.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
import java.util.List;
import org.junit.jupiter.api.Test;

class TrainerThreadsTest {
    @Test
    void autoLeavesOneCoreToTheRestOfThePipeline() {
        assertThat(TrainerThreads.resolve(0, 1)).isEqualTo(1);
        assertThat(TrainerThreads.resolve(0, 2)).isEqualTo(1);
        assertThat(TrainerThreads.resolve(0, 16)).isEqualTo(15);
        assertThat(TrainerThreads.resolve(3, 16)).isEqualTo(3);
    }

    @Test
    void applySetsLibtorchsIntraOpPool() {
        Engine.getEngine("PyTorch");
        int before = JniUtils.getNumThreads();
        try {
            assertThat(TrainerThreads.apply(TwoTowerConfig.defaults().withOverrides(List.of("trainer_threads=3"))))
                    .isEqualTo(3);
            assertThat(JniUtils.getNumThreads()).isEqualTo(3);
            int auto = TrainerThreads.resolve(0, Runtime.getRuntime().availableProcessors());
            assertThat(TrainerThreads.apply(TwoTowerConfig.defaults())).isEqualTo(auto);
        } finally {
            JniUtils.setNumThreads(before);
        }
    }

    @Test
    void evaluationGetsEveryCoreUnderAutoAndTheTrainingThreadsBackAfter() throws Exception {
        Engine.getEngine("PyTorch");
        int before = JniUtils.getNumThreads();
        int cores = Runtime.getRuntime().availableProcessors();
        try {
            TwoTowerConfig auto = TwoTowerConfig.defaults();
            TrainerThreads.apply(auto);
            int training = JniUtils.getNumThreads();
            try (TrainerThreads.Restore evaluation = TrainerThreads.forEvaluation(auto)) {
                assertThat(JniUtils.getNumThreads()).isEqualTo(Math.max(cores, training));
            }
            assertThat(JniUtils.getNumThreads()).isEqualTo(training);
            // An explicit trainer_threads is the user's choice for evaluation too.
            TwoTowerConfig one = auto.withOverrides(List.of("trainer_threads=1"));
            TrainerThreads.apply(one);
            try (TrainerThreads.Restore evaluation = TrainerThreads.forEvaluation(one)) {
                assertThat(JniUtils.getNumThreads()).isEqualTo(1);
            }
        } finally {
            JniUtils.setNumThreads(before);
        }
    }
}
