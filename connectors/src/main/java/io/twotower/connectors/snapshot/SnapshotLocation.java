package io.twotower.connectors.snapshot;

import org.apache.flink.core.fs.FileStatus;
import org.apache.flink.core.fs.Path;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * What a snapshot URI given on a command line names: a job's {@code --output} (every run under its
 * {@code snapshots/}), one run folder ({@code .../snapshots/<run-id>}) or one snapshot folder
 * ({@code .../snapshots/<run-id>/<sequence>}). Each resolved location is a run's store and, for a snapshot
 * folder, its sequence.
 */
public final class SnapshotLocation {
    private final SnapshotStore store;
    private final Long sequence;

    private SnapshotLocation(SnapshotStore store, Long sequence) {
        this.store = store;
        this.sequence = sequence;
    }

    public SnapshotStore store() {
        return store;
    }

    /** The snapshot the URI named, or null when it named a whole run. */
    public Long sequence() {
        return sequence;
    }

    /** The locations {@code uri} names: one for a snapshot or run folder, one per run for an output folder. */
    public static List<SnapshotLocation> resolve(Path uri) throws IOException {
        if (!exists(uri)) {
            throw new IOException(uri + ": not found");
        }
        String name = uri.getName();
        Path parent = uri.getParent();
        if (name.matches("\\d+") && parent != null && parent.getParent() != null
                && parent.getParent().getName().equals("snapshots")) {
            return List.of(new SnapshotLocation(new SnapshotStore(parent.getParent().getParent(), parent.getName()),
                    Long.parseLong(name)));
        }
        if (parent != null && parent.getName().equals("snapshots")) {
            return List.of(new SnapshotLocation(new SnapshotStore(parent.getParent(), name), null));
        }
        Path runs = new Path(uri, "snapshots");
        if (!exists(runs)) {
            throw new IOException(uri + ": holds no snapshots/ folder");
        }
        List<SnapshotLocation> out = new ArrayList<>();
        FileStatus[] children;
        try {
            children = runs.getFileSystem().listStatus(runs);
        } catch (IOException e) {
            throw StorageErrors.describe("cannot list", runs, e);
        }
        for (FileStatus s : children) {
            if (s.isDir()) {
                out.add(new SnapshotLocation(new SnapshotStore(uri, s.getPath().getName()), null));
            }
        }
        return out;
    }

    private static boolean exists(Path path) throws IOException {
        try {
            return path.getFileSystem().exists(path);
        } catch (IOException e) {
            throw StorageErrors.describe("cannot read snapshots under", path, e);
        }
    }
}
