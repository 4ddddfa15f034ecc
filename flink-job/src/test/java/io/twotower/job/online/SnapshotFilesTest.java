package io.twotower.job.online;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.twotower.connectors.snapshot.NpyFormat;
import io.twotower.connectors.snapshot.SnapshotStore;
import org.apache.flink.core.fs.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A warm start reads only a snapshot that verifies against its manifest. */
class SnapshotFilesTest {
    @Test
    void resolvesLatestAndRefusesACorruptedSnapshot(@TempDir java.nio.file.Path dir) throws Exception {
        SnapshotStore store = new SnapshotStore(new Path(dir.toUri()), "run");
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("user_embeddings.npy", NpyFormat.encode(new float[] {1, 0, 0, 1}, 2, 2));
        files.put("item_embeddings.npy", NpyFormat.encode(new float[] {1, 0, 0, 1, 1, 0}, 3, 2));
        ObjectNode fields = JsonNodeFactory.instance.objectNode();
        fields.put("num_users", 2).put("num_items", 3).put("dimension", 2);
        store.publish(1, files, fields, true, 5);

        java.nio.file.Path run = dir.resolve("snapshots").resolve("run");
        assertThat(SnapshotFiles.resolve(run.toUri().toString()).getName()).isEqualTo("000001");

        java.nio.file.Path items = run.resolve("000001").resolve("item_embeddings.npy");
        byte[] bytes = Files.readAllBytes(items);
        bytes[bytes.length - 1] ^= 1;
        Files.write(items, bytes);
        assertThatThrownBy(() -> SnapshotFiles.resolve(run.toUri().toString()))
                .hasMessageContaining("--init-from")
                .hasMessageContaining("item_embeddings.npy: checksum does not match the manifest");
    }
}
