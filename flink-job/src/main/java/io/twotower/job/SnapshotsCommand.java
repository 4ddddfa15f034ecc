package io.twotower.job;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.twotower.connectors.snapshot.SnapshotLocation;
import io.twotower.connectors.snapshot.SnapshotStore;
import io.twotower.job.cli.CliArgs;
import io.twotower.job.cli.FlinkEnvironments;
import org.apache.flink.core.fs.Path;

import java.io.IOException;
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
        for (SnapshotLocation t : SnapshotLocation.resolve(uri)) {
            List<Long> sequences = t.sequence() == null ? t.store().sequences() : List.of(t.sequence());
            Long latest = t.store().latestSequence();
            if (verb.equals("verify") && latest != null && !sequences.contains(latest) && t.sequence() == null) {
                bad++;
                System.out.println("BAD " + new Path(t.store().runDir(), SnapshotStore.LATEST) + " names "
                        + t.store().snapshotDir(latest) + ", which does not exist");
            }
            for (long s : sequences) {
                String mark = latest != null && latest == s ? " LATEST" : "";
                switch (verb) {
                    case "list":
                        JsonNode m = manifestOrNull(t.store(), s);
                        System.out.printf("%s step=%s epoch=%s metrics=%s%s%n", t.store().snapshotDir(s),
                                m == null ? "?" : m.path("step").asText(),
                                m == null ? "?" : m.path("epoch").asText(m.path("window").asText()),
                                m == null ? "(incomplete: no valid manifest)" : m.path("metrics"), mark);
                        break;
                    case "show":
                        JsonNode manifest = t.store().manifest(s);
                        System.out.println(manifest == null ? t.store().snapshotDir(s) + ": no manifest"
                                : new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(manifest));
                        break;
                    default:
                        List<String> problems = t.store().verify(s);
                        if (problems.isEmpty()) {
                            System.out.println("OK " + t.store().snapshotDir(s) + mark);
                        } else if (t.store().manifest(s) == null && t.sequence() == null && mark.isEmpty()) {
                            System.out.println("INCOMPLETE " + t.store().snapshotDir(s)
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
}
