package io.twotower.job;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.twotower.connectors.snapshot.SnapshotStore;
import io.twotower.job.cli.CliArgs;
import io.twotower.job.cli.FlinkEnvironments;
import org.apache.flink.core.fs.FileStatus;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.Path;
import org.apache.flink.core.plugin.PluginUtils;

import java.util.List;
import java.util.Set;

/**
 * {@code snapshots list|show|verify <uri>}: the uri is a job's --output (all runs), a run folder
 * ({@code .../snapshots/<run-id>}) or one snapshot folder ({@code .../snapshots/<run-id>/<sequence>}).
 */
final class SnapshotsCommand {
    private SnapshotsCommand() {}

    static int run(CliArgs cli) throws Exception {
        cli.rejectUnknown(Set.of(), "snapshots");
        List<String> words = cli.positional();
        if (words.size() != 3 || !Set.of("list", "show", "verify").contains(words.get(1))) {
            throw new IllegalArgumentException("usage: snapshots list|show|verify <uri>");
        }
        org.apache.flink.configuration.Configuration conf = FlinkEnvironments.configuration(cli.flinkOptions());
        FileSystem.initialize(conf, PluginUtils.createPluginManagerFromRootFolder(conf));
        Path uri = new Path(words.get(2));
        String verb = words.get(1);
        int bad = 0;
        for (Target t : targets(uri)) {
            List<Long> sequences = t.sequence == null ? t.store.sequences() : List.of(t.sequence);
            Long latest = t.store.latestSequence();
            for (long s : sequences) {
                JsonNode manifest = t.store.manifest(s);
                String mark = latest != null && latest == s ? " LATEST" : "";
                switch (verb) {
                    case "list":
                        System.out.printf("%s step=%s epoch=%s metrics=%s%s%n", t.store.snapshotDir(s),
                                manifest == null ? "?" : manifest.path("step").asText(),
                                manifest == null ? "?" : manifest.path("epoch").asText(manifest.path("window").asText()),
                                manifest == null ? "(incomplete: no manifest)" : manifest.path("metrics"), mark);
                        break;
                    case "show":
                        System.out.println(manifest == null ? t.store.snapshotDir(s) + ": no manifest"
                                : new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(manifest));
                        break;
                    default:
                        List<String> problems = t.store.verify(s);
                        if (problems.isEmpty()) {
                            System.out.println("OK " + t.store.snapshotDir(s) + mark);
                        } else {
                            bad++;
                            problems.forEach(p -> System.out.println("BAD " + p));
                        }
                }
            }
        }
        return bad == 0 ? 0 : 1;
    }

    private static final class Target {
        final SnapshotStore store;
        final Long sequence;

        Target(SnapshotStore store, Long sequence) {
            this.store = store;
            this.sequence = sequence;
        }
    }

    private static List<Target> targets(Path uri) throws Exception {
        FileSystem fs = uri.getFileSystem();
        if (!fs.exists(uri)) {
            throw new IllegalArgumentException(uri + ": not found");
        }
        String name = uri.getName();
        Path parent = uri.getParent();
        if (name.matches("\\d+") && parent != null && parent.getParent() != null
                && parent.getParent().getName().equals("snapshots")) {
            return List.of(new Target(new SnapshotStore(parent.getParent().getParent(), parent.getName()), Long.parseLong(name)));
        }
        if (parent != null && parent.getName().equals("snapshots")) {
            return List.of(new Target(new SnapshotStore(parent.getParent(), name), null));
        }
        Path runs = new Path(uri, "snapshots");
        if (!fs.exists(runs)) {
            throw new IllegalArgumentException(uri + ": holds no snapshots/ folder");
        }
        java.util.ArrayList<Target> out = new java.util.ArrayList<>();
        for (FileStatus s : fs.listStatus(runs)) {
            if (s.isDir()) {
                out.add(new Target(new SnapshotStore(uri, s.getPath().getName()), null));
            }
        }
        return out;
    }
}
