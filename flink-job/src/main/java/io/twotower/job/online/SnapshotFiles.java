package io.twotower.job.online;

import io.twotower.connectors.dataset.DatasetLayout;
import io.twotower.connectors.dataset.IdMapFile;
import io.twotower.connectors.snapshot.SnapshotStore;
import org.apache.flink.core.fs.Path;

import java.io.IOException;
import java.nio.file.Files;
import java.util.List;

/** Id maps as Parquet bytes for a snapshot, and locating the snapshot a warm start reads. */
final class SnapshotFiles {
    private SnapshotFiles() {}

    static byte[] idMap(String idColumn, String indexColumn, List<String> ids) throws IOException {
        java.nio.file.Path tmp = Files.createTempFile("twotower-idmap", ".parquet");
        try {
            IdMapFile.write(new Path(tmp.toUri()), idColumn, indexColumn, ids);
            return Files.readAllBytes(tmp);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** A snapshot folder as given, or the one a run folder's LATEST names; it must verify against its manifest. */
    static Path resolve(String uri) throws IOException {
        Path path = new Path(uri);
        if (!path.getFileSystem().exists(path)) {
            throw new IOException("--init-from " + uri + ": not found");
        }
        Path latest = new Path(path, SnapshotStore.LATEST);
        if (path.getFileSystem().exists(latest)) {
            String seq = new String(SnapshotStore.read(latest), java.nio.charset.StandardCharsets.UTF_8).trim();
            path = new Path(path, seq);
        }
        if (!path.getFileSystem().exists(new Path(path, SnapshotStore.MANIFEST))) {
            throw new IOException("--init-from " + uri + ": " + path + " has no " + SnapshotStore.MANIFEST
                    + " (give a snapshot folder or a run folder with LATEST)");
        }
        // Sizes and checksums against the manifest before any weight is trusted.
        List<String> problems = SnapshotStore.verifyFolder(path);
        if (!problems.isEmpty()) {
            throw new IOException("--init-from " + uri + ": the snapshot does not verify: " + String.join("; ", problems));
        }
        return path;
    }

    static String[] users(Path snapshot) throws IOException {
        return IdMapFile.read(new Path(snapshot, DatasetLayout.USER_MAP), DatasetLayout.USER_ID_COLUMN,
                DatasetLayout.USER_IDX_COLUMN);
    }

    static String[] items(Path snapshot) throws IOException {
        return IdMapFile.read(new Path(snapshot, DatasetLayout.ITEM_MAP), DatasetLayout.ITEM_ID_COLUMN,
                DatasetLayout.ITEM_IDX_COLUMN);
    }
}
