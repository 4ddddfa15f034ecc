package io.twotower.connectors.snapshot;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.flink.core.fs.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The publication protocol on the local file system (S3: S3SnapshotITCase and SnapshotKillITCase in flink-job). */
class SnapshotStoreTest {
    @TempDir
    java.nio.file.Path dir;

    SnapshotStore store() {
        return new SnapshotStore(new Path(dir.toUri()), "run-1");
    }

    static Map<String, byte[]> files(float first) {
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("user_embeddings.npy", NpyFormat.encode(new float[] {first, 0, 0, 1}, 2, 2));
        files.put("item_embeddings.npy", NpyFormat.encode(new float[] {1, 0, 0, 1, 0.6f, 0.8f}, 3, 2));
        files.put("model_parameters.ndlist", new byte[] {1, 2, 3});
        return files;
    }

    static ObjectNode fields(int epoch) {
        ObjectNode fields = JsonNodeFactory.instance.objectNode();
        fields.put("step", epoch * 10L).put("epoch", epoch).put("num_users", 2).put("num_items", 3)
                .put("dimension", 2).put("dtype", "float32");
        fields.putObject("metrics").put("Recall@10", 0.5);
        return fields;
    }

    @Test
    void publishesFilesThenManifestThenLatest() throws Exception {
        SnapshotStore store = store();
        assertThat(store.latestSequence()).isNull();
        Path published = store.publish(1, files(1f), fields(1), true, 0);

        java.nio.file.Path folder = dir.resolve("snapshots/run-1/000001");
        assertThat(published.getPath()).isEqualTo(folder.toString());
        assertThat(Files.readString(dir.resolve("snapshots/run-1/LATEST"))).isEqualTo("000001\n");
        try (var names = Files.list(folder)) {
            // Nothing written aside is left behind.
            assertThat(names.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("user_embeddings.npy",
                    "item_embeddings.npy", "model_parameters.ndlist", "manifest.json");
        }
        JsonNode manifest = store.manifest(1);
        assertThat(manifest.get("format_version").asInt()).isEqualTo(SnapshotStore.FORMAT_VERSION);
        assertThat(manifest.get("run_id").asText()).isEqualTo("run-1");
        assertThat(manifest.get("sequence").asLong()).isEqualTo(1);
        assertThat(manifest.get("metrics").get("Recall@10").asDouble()).isEqualTo(0.5);
        JsonNode ndlist = manifest.get("files").get(2);
        assertThat(ndlist.get("name").asText()).isEqualTo("model_parameters.ndlist");
        assertThat(ndlist.get("size").asInt()).isEqualTo(3);
        // sha256 of bytes 01 02 03
        assertThat(ndlist.get("sha256").asText())
                .isEqualTo("039058c6f2c0cb492c533b0a4d14ef77cc0f78abccced5287d84a1a2011cfb81");
        assertThat(store.verify(1)).isEmpty();
    }

    @Test
    void aStreamedPublicationIsTheSameSnapshotAsOneFromBytes() throws Exception {
        Map<String, byte[]> bytes = files(1f);
        Map<String, SnapshotStore.FileWriter> streamed = new LinkedHashMap<>();
        // Written a byte or a few at a time, as a writer that streams rows does; one file larger than the buffer.
        bytes.forEach((name, content) -> streamed.put(name, out -> {
            for (int i = 0; i < content.length; i += 3) {
                out.write(content, i, Math.min(3, content.length - i));
            }
        }));
        byte[] large = new byte[200_000];
        new java.util.Random(3).nextBytes(large);
        streamed.put("large.bin", out -> {
            for (byte b : large) {
                out.write(b);
            }
            // Closing is the store's business: the file stays open for the checksum and the sync.
            out.close();
        });
        bytes.put("large.bin", large);

        SnapshotStore fromBytes = new SnapshotStore(new Path(dir.toUri()), "bytes");
        SnapshotStore fromStreams = new SnapshotStore(new Path(dir.toUri()), "streams");
        fromBytes.publish(1, bytes, fields(1), true, 0);
        fromStreams.publishStreaming(1, streamed, fields(1), true, 0);

        JsonNode expected = fromBytes.manifest(1).get("files");
        assertThat(fromStreams.manifest(1).get("files")).isEqualTo(expected);
        assertThat(expected.get(3).get("size").asLong()).isEqualTo(large.length);
        assertThat(expected.get(3).get("sha256").asText()).isEqualTo(SnapshotStore.sha256(large));
        for (String name : bytes.keySet()) {
            assertThat(Files.readAllBytes(dir.resolve("snapshots/streams/000001").resolve(name))).as(name)
                    .isEqualTo(bytes.get(name));
        }
        assertThat(fromStreams.verify(1)).isEmpty();
        assertThat(fromStreams.latestSequence()).isEqualTo(1L);
    }

    @Test
    void aWriterThatFailsLeavesNoManifestAndLatestWhereItWas() throws Exception {
        SnapshotStore store = store();
        store.publish(1, files(1f), fields(1), true, 0);
        Map<String, SnapshotStore.FileWriter> failing = new LinkedHashMap<>();
        failing.put("user_embeddings.npy", out -> {
            out.write(new byte[100]);
            throw new java.io.IOException("the model went away");
        });
        assertThatThrownBy(() -> store.publishStreaming(2, failing, fields(2), true, 0))
                .hasMessageContaining("cannot write " + store.snapshotDir(2) + "/user_embeddings.npy")
                .hasMessageContaining("the model went away");
        assertThat(store.manifest(2)).isNull();
        assertThat(store.latestSequence()).isEqualTo(1L);
    }

    @Test
    void verifyReportsTamperedMissingAndIncompleteSnapshots() throws Exception {
        SnapshotStore store = store();
        store.publish(1, files(1f), fields(1), true, 0);
        store.publish(2, files(2f), fields(2), true, 0);
        store.publish(3, files(3f), fields(3), true, 0);
        java.nio.file.Path run = dir.resolve("snapshots/run-1");

        byte[] npy = Files.readAllBytes(run.resolve("000001/user_embeddings.npy"));
        npy[npy.length - 1] ^= 1;
        Files.write(run.resolve("000001/user_embeddings.npy"), npy);
        assertThat(store.verify(1)).singleElement().asString().endsWith("user_embeddings.npy: checksum does not match the manifest");

        Files.delete(run.resolve("000002/item_embeddings.npy"));
        assertThat(store.verify(2)).singleElement().asString().endsWith("item_embeddings.npy: missing");

        Files.createDirectories(run.resolve("000004"));
        Files.write(run.resolve("000004/user_embeddings.npy"), new byte[10]);
        assertThat(store.verify(4)).singleElement().asString().contains("no manifest.json (incomplete snapshot)");
        assertThat(store.manifest(4)).isNull();

        Files.writeString(run.resolve("000003/manifest.json"), "{\"format_version\": 1, \"fil");
        assertThat(store.verify(3)).singleElement().asString().contains("000003/manifest.json: not a valid manifest");
    }

    @Test
    void retentionKeepsTheLastNCompleteSnapshotsAndTheOneLatestNames() throws Exception {
        SnapshotStore store = store();
        for (int s = 1; s <= 5; s++) {
            store.publish(s, files(s), fields(s), true, 2);
        }
        assertThat(store.sequences()).containsExactly(4L, 5L);
        assertThat(store.latestSequence()).isEqualTo(5L);

        SnapshotStore pinned = new SnapshotStore(new Path(dir.toUri()), "pinned");
        pinned.publish(1, files(1f), fields(1), true, 2);
        for (int s = 2; s <= 5; s++) {
            pinned.publish(s, files(s), fields(s), false, 2);
        }
        assertThat(pinned.sequences()).containsExactly(1L, 5L);
        assertThat(pinned.latestSequence()).isEqualTo(1L);
    }

    @Test
    void republishingTheSequenceLatestNamesNeverLeavesLatestOnAnIncompleteSnapshot() throws Exception {
        SnapshotStore store = store();
        store.publish(1, files(1f), fields(1), true, 0);
        store.publish(2, files(2f), fields(2), true, 0);
        // A job restored from a checkpoint taken before sequence 2 publishes sequence 2 again; if it dies while
        // writing, LATEST must name a complete snapshot. A file that cannot be written makes it die there.
        Map<String, byte[]> failing = files(2.5f);
        Files.createDirectories(dir.resolve("snapshots/run-1/000002/model_parameters.ndlist.d"));
        failing.put("model_parameters.ndlist.d", new byte[1]);
        assertThatThrownBy(() -> store.publish(2, failing, fields(2), true, 0))
                .hasMessageContaining("cannot write " + store.snapshotDir(2) + "/model_parameters.ndlist.d");
        assertThat(store.latestSequence()).isEqualTo(1L);
        assertThat(store.verify(1)).isEmpty();
        assertThat(store.manifest(2)).isNull();

        store.publish(2, files(2.5f), fields(2), true, 0);
        assertThat(store.latestSequence()).isEqualTo(2L);
        assertThat(store.verify(2)).isEmpty();
        assertThat(NpyFormat.values(Files.readAllBytes(dir.resolve("snapshots/run-1/000002/user_embeddings.npy")))[0])
                .isEqualTo(2.5f);
    }

    @Test
    void rejectsFieldsTheStoreOwns() {
        ObjectNode fields = fields(1).put("sequence", 7);
        assertThatThrownBy(() -> store().publish(1, files(1f), fields, true, 0))
                .hasMessageContaining("manifest field 'sequence' is set by the store");
    }
}
