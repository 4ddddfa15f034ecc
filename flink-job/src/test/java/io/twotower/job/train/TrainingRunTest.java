package io.twotower.job.train;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;

import static org.assertj.core.api.Assertions.assertThat;

/** A train run's bookkeeping round-trips through its checkpoint format, field for field. */
class TrainingRunTest {
    @Test
    void roundTripsEveryField() throws IOException {
        TrainingRun run = new TrainingRun();
        run.examplesThisEpoch = 120;
        run.recordEpoch(812.5);
        run.startNextEpoch();
        run.examplesThisEpoch = 37;
        run.lossSumThisEpoch = 4.25;
        run.batchesThisEpoch = 3;
        run.trainSecondsThisEpoch = 0.75;
        run.totalExamples = 157;
        run.stopped = true;
        run.lastDecisionEpoch = 0;
        run.lastDecisionContinue = true;
        run.snapshotSequence = 2;
        run.restoredAtSteps.add(9L);
        run.epochMetrics.add("{\"epoch\":1,\"note\":\"\u00e9\"}");

        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        run.write(new DataOutputStream(bytes));
        TrainingRun back = TrainingRun.read(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));

        assertThat(back).usingRecursiveComparison().isEqualTo(run);
        assertThat(back.currentEpoch).isEqualTo(1);
        assertThat(back.examplesPerEpoch).containsExactly(120L);
    }

    @Test
    void aFreshRunRoundTrips() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        new TrainingRun().write(new DataOutputStream(bytes));
        TrainingRun back = TrainingRun.read(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));
        assertThat(back.snapshotSequence).isZero();
        assertThat(back.lastDecisionEpoch).isEqualTo(-1);
    }
}
