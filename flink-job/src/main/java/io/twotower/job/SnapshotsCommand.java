package io.twotower.job;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.twotower.connectors.snapshot.SnapshotStore;
import io.twotower.connectors.snapshot.StorageErrors;
import io.twotower.job.cli.CliArgs;
import io.twotower.job.cli.FlinkEnvironments;
import org.apache.flink.core.fs.FileStatus;
import org.apache.flink.core.fs.Path;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * {@code snapshots list|show|verify <uri>}: the uri is a job's --output (all runs), a run folder
 * ({@code .../snapshots/<run-id>}) or one snapshot folder ({@code .../snapshots/<run-id>/<sequence>}).
 * {@code verify} exits 1 when a complete snapshot fails its checksums or LATEST names no valid snapshot;
 * a folder without a manifest (an interrupted publication, which readers ignore) is reported, not failed,
 * unless it was asked for by name.
 */
final class SnapshotsCommand {
    private SnapshotsCommand() {}

    static int run(CliArgs cli) throws Exception {
        cli.rejectUnknown(Set.of(), "snapshots");
        List<String> words = cli.positional();
        if (words.size() != 3 || !Set.of("list", "show", "verify").contains(words.get(1))) {
            throw new IllegalArgumentException("usage: snapshots list|show|verify <uri>");
        }
        FlinkEnvironments.initializeFileSystems(cli.flinkOptions());
        Path uri = new Path(words.get(2));
        String verb = words.get(1);
        try {
            return run(verb, uri);
        } catch (IOException e) {
            // The messages name the location and the likely cause; a stack trace adds nothing for a user.
            System.err.println("error: " + e.getMessage());
            return 1;
        }
    }

    private static int run(String verb, Path uri) throws IOException {
        int bad = 0;
        for (Target t : targets(uri)) {
            List<Long> sequences = t.sequence == null ? t.store.sequences() : List.of(t.sequence);
            Long latest = t.store.latestSequence();
            if (verb.equals("verify") && latest != null && !sequences.contains(latest) && t.sequence == null) {
                bad++;
                System.out.println("BAD " + new Path(t.store.runDir(), SnapshotStore.LATEST) + " names "
                        + t.store.snapshotDir(latest) + ", which does not exist");
            }
            for (long s : sequences) {
                String mark = latest != null && latest == s ? " LATEST" : "";
                switch (verb) {
                    case "list":
                        JsonNode m = manifestOrNull(t.store, s);
                        System.out.printf("%s step=%s epoch=%s metrics=%s%s%n", t.store.snapshotDir(s),
                                m == null ? "?" : m.path("step").asText(),
                                m == null ? "?" : m.path("epoch").asText(m.path("window").asText()),
                                m == null ? "(incomplete: no valid manifest)" : m.path("metrics"), mark);
                        break;
                    case "show":
                        JsonNode manifest = t.store.manifest(s);
                        System.out.println(manifest == null ? t.store.snapshotDir(s) + ": no manifest"
                                : new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(manifest));
                        break;
                    default:
                        List<String> problems = t.store.verify(s);
                        if (problems.isEmpty()) {
                            System.out.println("OK " + t.store.snapshotDir(s) + mark);
                        } else if (t.store.manifest(s) == null && t.sequence == null && mark.isEmpty()) {
                            System.out.println("INCOMPLETE " + t.store.snapshotDir(s)
                                    + " (no manifest.json: an interrupted publication, ignored by readers)");
                        } else {
                            bad++;
                            problems.forEach(p -> System.out.println("BAD " + p + mark));
                        }
                }
            }
        }
        return bad == 0 ? 0 : 1;
    }

    private static JsonNode manifestOrNull(SnapshotStore store, long sequence) {
        try {
            return store.manifest(sequence);
        } catch (IOException e) {
            return null;
        }
    }

    private static final class Target {
        final SnapshotStore store;
        final Long sequence;

        Target(SnapshotStore store, Long sequence) {
            this.store = store;
            this.sequence = sequence;
        }
    }

    private static List<Target> targets(Path uri) throws IOException {
        if (!exists(uri)) {
            throw new IOException(uri + ": not found");
        }
        String name = uri.getName();
        Path parent = uri.getParent();
        if (name.matches("\\d+") && parent != null && parent.getParent() != null
                && parent.getParent().getName().equals("snapshots")) {
            return List.of(new Target(new SnapshotStore(parent.getParent().getParent(), parent.getName()),
                    Long.parseLong(name)));
        }
        if (parent != null && parent.getName().equals("snapshots")) {
            return List.of(new Target(new SnapshotStore(parent.getParent(), name), null));
        }
        Path runs = new Path(uri, "snapshots");
        if (!exists(runs)) {
            throw new IOException(uri + ": holds no snapshots/ folder");
        }
        List<Target> out = new ArrayList<>();
        FileStatus[] children;
        try {
            children = runs.getFileSystem().listStatus(runs);
        } catch (IOException e) {
            throw StorageErrors.describe("cannot list", runs, e);
        }
        for (FileStatus s : children) {
            if (s.isDir()) {
                out.add(new Target(new SnapshotStore(uri, s.getPath().getName()), null));
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
