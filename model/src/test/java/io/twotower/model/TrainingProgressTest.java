package io.twotower.model;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** eval_every, lr_schedule and adam_beta2: what the epochs without a validation keep, and what is validated. */
class TrainingProgressTest {
    private static TwoTowerConfig config(Map<String, ?> values) {
        return TwoTowerConfig.defaults().withValues(values, "test");
    }

    @Test
    void unvalidatedEpochsKeepTheLearningRateAndTheCountersAndPatienceCountsValidations() throws Exception {
        TwoTowerConfig c = config(Map.of("eval_every", 3, "epochs", 20, "patience", 2, "plateau_patience", 1));
        assertThat(c.evaluatesAfter(1)).isFalse();
        assertThat(c.evaluatesAfter(3)).isTrue();
        assertThat(c.evaluatesAfter(20)).as("the last epoch is always validated").isTrue();
        TrainingProgress p = TrainingProgress.start(c);
        double lr = 1e-3;
        for (int epoch = 1; epoch <= 9; epoch++) {
            TrainingProgress.EpochDecision d = c.evaluatesAfter(epoch)
                    ? p.endEpoch(1.0, epoch == 3 ? 0.2 : 0.1, lr, c.epochs())
                    : p.endEpochUnevaluated(1.0, lr, c.epochs());
            if (!c.evaluatesAfter(epoch)) {
                assertThat(d.learningRate).as("lr after unvalidated epoch %d", epoch).isEqualTo(lr);
                assertThat(d.newBest).isFalse();
            }
            lr = d.learningRate;
            assertThat(d.stop).as("stop after epoch %d", epoch).isEqualTo(epoch == 9);
        }
        // Validations at 3 (best), 6 and 9: two without improvement = patience 2, so it stops at 9, not at 5.
        assertThat(p.bestEpoch()).isEqualTo(3);
        assertThat(p.stoppedEarly(c.epochs())).isTrue();
        assertThat(lr).as("plateau_patience 1: halved once, after the second validation without improvement")
                .isEqualTo(5e-4);
        assertThat(p.valRecalls().get(0)).isNaN();
        assertThat(p.valRecalls().get(2)).isEqualTo(0.2);

        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        p.write(new DataOutputStream(bytes));
        TrainingProgress back = TrainingProgress.read(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())), c);
        assertThat(back.valRecalls()).isEqualTo(p.valRecalls());
        assertThat(back.bestEpoch()).isEqualTo(3);
    }

    @Test
    void aConstantScheduleNeverDecays() {
        TwoTowerConfig c = config(Map.of("lr_schedule", "constant", "plateau_patience", 1, "patience", 50));
        TrainingProgress p = TrainingProgress.start(c);
        double lr = 1e-3;
        for (int epoch = 1; epoch <= 10; epoch++) {
            lr = p.endEpoch(1.0, 0.1, lr, c.epochs()).learningRate;
        }
        assertThat(lr).isEqualTo(1e-3);
    }

    @Test
    void badValuesNameTheKey() {
        assertThatThrownBy(() -> config(Map.of("eval_every", 0))).hasMessageContaining("eval_every");
        assertThatThrownBy(() -> config(Map.of("lr_schedule", "cosine"))).hasMessageContaining("lr_schedule");
        assertThatThrownBy(() -> config(Map.of("adam_beta2", 1.0))).hasMessageContaining("adam_beta2");
        assertThat(config(Map.of("adam_beta2", "0.98")).adamBeta2()).isEqualTo(0.98);
    }
}
