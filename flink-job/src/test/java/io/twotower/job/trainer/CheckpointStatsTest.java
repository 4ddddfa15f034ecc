package io.twotower.job.trainer;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import org.junit.jupiter.api.Test;

class CheckpointStatsTest {
    @Test
    void countsConfirmedCheckpointsOnlyWithTheirOwnFigures() {
        CheckpointStats stats = new CheckpointStats();
        stats.taken(1, 100, 0.5);
        stats.taken(2, 200, 0.25);
        stats.completed(2); // 1 was subsumed: not counted
        stats.taken(3, 300, 1.0); // never confirmed
        ObjectNode results = new ObjectMapper().createObjectNode();
        stats.addTo(results);
        assertThat(results.get("checkpoints").toString())
                .isEqualTo("{\"completed\":1,\"last_bytes\":200,\"last_seconds\":0.25}");
        stats.completed(1); // late, already subsumed
        assertThat(stats.completed()).isEqualTo(1);
    }

    @Test
    void aRestoreCountsTheCheckpointItCameFrom() throws Exception {
        CheckpointStats stats = new CheckpointStats();
        stats.taken(4, 4096, 2.0);
        stats.completed(4);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        stats.write(new DataOutputStream(bytes)); // in checkpoint 5
        CheckpointStats restored = CheckpointStats.read(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));
        assertThat(restored.completed()).isEqualTo(2);
    }
}
