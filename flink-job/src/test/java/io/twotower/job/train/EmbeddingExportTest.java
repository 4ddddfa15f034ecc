package io.twotower.job.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import io.twotower.connectors.snapshot.NpyFormat;
import io.twotower.connectors.snapshot.NpzFormat;
import io.twotower.connectors.snapshot.SnapshotStore;
import io.twotower.model.RetrievalEvaluator;
import io.twotower.model.TwoTowerConfig;
import io.twotower.model.TwoTowerModel;
import org.apache.flink.core.fs.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A snapshot streamed in tiny chunks (several for every table and every vector block) has the bytes of the
 * whole-array writer it replaced, and its weights read back, chunk by chunk, bit-identically; so do the
 * weights of a snapshot written before, in DJL's NDList encoding.
 */
class EmbeddingExportTest {
    private static final TwoTowerConfig SEED = TwoTowerConfig.defaults().withValues(Map.of("d_model", 8), "test");
    private static final TwoTowerConfig HISTORY = SEED.withValues(Map.of(
            "model", "history", "history_length", 3, "user_id_embedding", true), "test");
    /** Three rows of 8 floats: 13 users and 29 items give 5 and 10 chunks. */
    private static final int CHUNK_BYTES = 3 * 8 * 4;

    @TempDir
    java.nio.file.Path dir;

    /** What EmbeddingExport wrote before it streamed: every file as one array. */
    private static Map<String, byte[]> wholeArrayWay(TwoTowerModel model, RetrievalEvaluator evaluator,
            int[][] histories) {
        Map<String, byte[]> files = new LinkedHashMap<>();
        try (NDManager scope = model.manager().newSubManager()) {
            float[] users = evaluator.allUserVectors(model, histories, scope).toFloatArray();
            float[] items = evaluator.allItemVectors(model, scope).toFloatArray();
            files.put(EmbeddingExport.USER_EMBEDDINGS, NpyFormat.encode(users, model.numUsers(), model.dModel()));
            files.put(EmbeddingExport.ITEM_EMBEDDINGS, NpyFormat.encode(items, model.numItems(), model.dModel()));
        }
        if (model.historyLength() > 0) {
            Map<String, byte[]> arrays = new LinkedHashMap<>();
            NDArray[] user = model.userTower().parameters();
            arrays.put("item_embedding", matrix(model.itemTower().parameters()[0]));
            arrays.put("user_embedding", matrix(user[0]));
            for (int layer = 0; layer < 2; layer++) {
                int base = 1 + layer * 4;
                arrays.put("linear" + layer + "_weight", matrix(user[base]));
                arrays.put("linear" + layer + "_bias", NpyFormat.encodeVector(user[base + 1].toFloatArray()));
                arrays.put("norm" + layer + "_weight", NpyFormat.encodeVector(user[base + 2].toFloatArray()));
                arrays.put("norm" + layer + "_bias", NpyFormat.encodeVector(user[base + 3].toFloatArray()));
            }
            files.put(EmbeddingExport.USER_TOWER, NpzFormat.encode(arrays));
        }
        return files;
    }

    private static byte[] matrix(NDArray a) {
        return NpyFormat.encode(a.toFloatArray(), (int) a.getShape().get(0), (int) a.getShape().get(1));
    }

    private static int[][] histories(int users, int items) {
        int[][] h = new int[users][];
        for (int u = 0; u < users; u++) {
            // None, one item, or more than the window of 3.
            h[u] = u % 4 == 0 ? null : u % 4 == 1 ? new int[] {u % items}
                    : new int[] {u % items, (3 * u) % items, (7 * u + 1) % items, (5 * u) % items};
        }
        return h;
    }

    @Test
    void seedModelSnapshotInChunksIsTheWholeArraySnapshot() throws Exception {
        checkSnapshot(SEED, null);
    }

    @Test
    void historyModelSnapshotInChunksIsTheWholeArraySnapshot() throws Exception {
        checkSnapshot(HISTORY, histories(13, 29));
    }

    private void checkSnapshot(TwoTowerConfig config, int[][] histories) throws Exception {
        try (NDManager root = NDManager.newBaseManager();
                TwoTowerModel model = TwoTowerModel.initialise(root.newSubManager(), config, 13, 29)) {
            // Blocks of 4 users or items: the vectors come in several blocks, each in several chunks.
            RetrievalEvaluator evaluator = new RetrievalEvaluator(4);
            SnapshotStore store = new SnapshotStore(new Path(dir.toUri()), "run");
            Map<String, SnapshotStore.FileWriter> files = EmbeddingExport.files(model, evaluator, histories, CHUNK_BYTES);
            assertThat(files).containsKey(SnapshotParameters.FILE).doesNotContainKey(SnapshotParameters.LEGACY_FILE);
            Path folder = store.publishStreaming(1, files, EmbeddingExport.manifestFields(model, config, "test", 0),
                    true, 0);
            assertThat(store.verify(1)).isEmpty();

            java.nio.file.Path local = dir.resolve("snapshots/run/000001");
            Map<String, byte[]> expected = wholeArrayWay(model, evaluator, histories);
            assertThat(expected).hasSize(histories == null ? 2 : 3);
            for (Map.Entry<String, byte[]> e : expected.entrySet()) {
                assertThat(Files.readAllBytes(local.resolve(e.getKey()))).as(e.getKey()).isEqualTo(e.getValue());
            }
            // Several chunks per table: the weights file holds more chunk markers than arrays.
            SnapshotStore whole = new SnapshotStore(new Path(dir.toUri()), "whole");
            Path wholeFolder = whole.publishStreaming(1, EmbeddingExport.files(model, evaluator, histories),
                    EmbeddingExport.manifestFields(model, config, "test", 0), true, 0);
            assertThat(Files.size(local.resolve(SnapshotParameters.FILE))).isGreaterThan(
                    Files.size(dir.resolve("snapshots/whole/000001").resolve(SnapshotParameters.FILE)) + 4 * 18);
            try (TwoTowerModel back = SnapshotParameters.read(wholeFolder, root.newSubManager(), config)) {
                assertSameParameters(back, model);
            }
            try (NDManager scope = root.newSubManager();
                    TwoTowerModel back = SnapshotParameters.read(folder, scope.newSubManager(), config)) {
                assertSameParameters(back, model);
            }
        }
    }

    @Test
    void readsTheWeightsOfASnapshotInDjlsEncoding() throws Exception {
        try (NDManager root = NDManager.newBaseManager();
                TwoTowerModel model = TwoTowerModel.initialise(root.newSubManager(), SEED, 5, 7)) {
            java.nio.file.Path folder = dir.resolve("legacy");
            Files.createDirectories(folder);
            Files.write(folder.resolve(SnapshotParameters.LEGACY_FILE), new NDList(model.parameters()).encode());
            try (TwoTowerModel back = SnapshotParameters.read(new Path(folder.toUri()), root.newSubManager(), SEED)) {
                assertSameParameters(back, model);
            }
        }
    }

    @Test
    void refusesAWeightsFileOfAnotherFormat() throws Exception {
        java.nio.file.Path folder = dir.resolve("other");
        Files.createDirectories(folder);
        Files.write(folder.resolve(SnapshotParameters.FILE), new byte[] {0, 3, 'a', 'b', 'c', 0, 0, 0, 1});
        try (NDManager root = NDManager.newBaseManager()) {
            assertThatThrownBy(() -> SnapshotParameters.read(new Path(folder.toUri()), root.newSubManager(), SEED))
                    .hasMessageContaining("cannot read the weights in")
                    .hasMessageContaining(SnapshotParameters.FILE + ": not a model parameters file this build reads");
        }
    }

    private static void assertSameParameters(TwoTowerModel actual, TwoTowerModel expected) {
        NDArray[] a = actual.parameters();
        NDArray[] e = expected.parameters();
        assertThat(a).hasSameSizeAs(e);
        for (int i = 0; i < e.length; i++) {
            assertThat(a[i].getShape()).as(TwoTowerModel.parameterNames()[i]).isEqualTo(e[i].getShape());
            assertThat(a[i].toFloatArray()).as(TwoTowerModel.parameterNames()[i]).containsExactly(e[i].toFloatArray());
        }
    }
}
