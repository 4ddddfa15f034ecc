package io.twotower.job.train;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The trainer's order buffer releases examples by position whatever their arrival order, and checkpoints what waits. */
class EpochOrderBufferTest {
    private static TrainingExample example(int epoch, long position) {
        return new TrainingExample((int) position, (int) position + 1, new int[] {7, 8}, new int[] {(int) position},
                epoch, position);
    }

    /** Arrival as from several channels, each in order, interleaved at random. */
    private static List<TrainingExample> interleaved(int epoch, int n, int channels, long seed) {
        List<List<TrainingExample>> perChannel = new ArrayList<>();
        for (int c = 0; c < channels; c++) {
            perChannel.add(new ArrayList<>());
        }
        Random random = new Random(seed);
        for (int p = 0; p < n; p++) {
            perChannel.get(random.nextInt(channels)).add(example(epoch, p));
        }
        List<TrainingExample> arrival = new ArrayList<>();
        int[] head = new int[channels];
        while (arrival.size() < n) {
            int c = random.nextInt(channels);
            if (head[c] < perChannel.get(c).size()) {
                arrival.add(perChannel.get(c).get(head[c]++));
            }
        }
        return arrival;
    }

    @Test
    void releasesInPositionOrderWhateverTheInterleaving() {
        EpochOrderBuffer buffer = new EpochOrderBuffer(1000);
        for (int epoch = 0; epoch < 2; epoch++) {
            List<Long> released = new ArrayList<>();
            List<TrainingExample> arrival = interleaved(epoch, 500, 4, epoch);
            assertThat(arrival.get(0).position == 0 && arrival.get(1).position == 1 && arrival.get(2).position == 2)
                    .as("the arrival really is out of order").isFalse();
            for (TrainingExample e : arrival) {
                buffer.add(e, r -> released.add(r.position));
            }
            assertThat(released).hasSize(500);
            for (int p = 0; p < 500; p++) {
                assertThat(released.get(p)).isEqualTo(p);
            }
            buffer.finishEpoch(epoch);
        }
    }

    @Test
    void checkpointHoldsTheWaitingExamples() throws IOException {
        EpochOrderBuffer buffer = new EpochOrderBuffer(1000);
        List<Long> released = new ArrayList<>();
        buffer.add(example(0, 0), r -> released.add(r.position));
        buffer.add(example(0, 3), r -> released.add(r.position));
        buffer.add(example(0, 2), r -> released.add(r.position));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        buffer.writeWaiting(new DataOutputStream(bytes));

        EpochOrderBuffer restored = new EpochOrderBuffer(1000);
        restored.resumeAt(released.size());
        restored.readWaiting(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));
        assertThat(restored.buffered()).isEqualTo(2);
        assertThat(restored.nextPosition()).isEqualTo(1);
        List<TrainingExample> after = new ArrayList<>();
        restored.add(example(0, 1), after::add);
        assertThat(after).extracting(e -> e.position).containsExactly(1L, 2L, 3L);
        assertThat(after.get(2).negatives).containsExactly(7, 8);
        assertThat(after.get(2).history).containsExactly(3);
        assertThat(released).containsExactly(0L);
    }

    @Test
    void duplicatesMissingExamplesAndOverflowFailWithTheirPosition() {
        EpochOrderBuffer buffer = new EpochOrderBuffer(2);
        buffer.add(example(1, 0), r -> { });
        assertThatThrownBy(() -> buffer.add(example(1, 0), r -> { }))
                .hasMessageContaining("two examples at position 0 of epoch 2");
        buffer.add(example(1, 2), r -> { });
        assertThatThrownBy(() -> buffer.finishEpoch(1))
                .hasMessageContaining("epoch 2 ended with 1 examples waiting for position 1");
        buffer.add(example(1, 3), r -> { });
        assertThatThrownBy(() -> buffer.add(example(1, 4), r -> { }))
                .hasMessageContaining("ahead of position 1");
    }
}
