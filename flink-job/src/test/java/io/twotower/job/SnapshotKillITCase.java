package io.twotower.job;

import io.twotower.connectors.snapshot.SnapshotStore;
import org.apache.flink.core.fs.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * A process publishing large snapshots is killed (SIGKILL) at a random moment of a publication: LATEST must
 * still name a complete snapshot that verifies, and the interrupted one is reported incomplete, on the local
 * file system and on S3.
 */
class SnapshotKillITCase {
    static final int ROWS = 20_000; // two 5 MB .npy files and 640 KB of "parameters" per snapshot

    @Test
    void killedMidPublicationOnTheLocalFileSystem(@TempDir java.nio.file.Path dir) throws Exception {
        killMidPublication(dir.toUri().toString(), List.of());
    }

    @Test
    void killedMidPublicationOnS3() throws Exception {
        String bucket = S3TestServer.createBucket("tt-kill");
        S3TestServer.useFromFlink();
        killMidPublication("s3://" + bucket + "/out", S3TestServer.flinkArgs(S3TestServer.SECRET_KEY));
    }

    void killMidPublication(String output, List<String> flinkArgs) throws Exception {
        long seed = System.nanoTime();
        Random random = new Random(seed);
        List<String> args = new ArrayList<>(List.of(output, "killed", Integer.toString(ROWS)));
        args.addAll(flinkArgs);
        JvmProcesses publisher = JvmProcesses.start(SnapshotPublisherMain.class, List.of("-Xmx512m"), Map.of(),
                args.toArray(new String[0]));
        int completeBeforeKill = 2 + random.nextInt(2);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (!publisher.lines.contains("publishing " + (completeBeforeKill + 1))) {
            if (!publisher.process.isAlive() || System.nanoTime() > deadline) {
                publisher.process.destroyForcibly();
                fail("the publisher did not publish %d snapshots:%n%s", completeBeforeKill, publisher.output());
            }
            Thread.sleep(5);
        }
        // Kill somewhere in the publication that has just begun: a random fraction of how long the last one took.
        long last = lastPublicationNanos(publisher);
        long delay = (long) (random.nextDouble() * last);
        TimeUnit.NANOSECONDS.sleep(delay);
        publisher.process.destroyForcibly();
        int exit = publisher.await();
        String where = String.format("seed %d, killed %.0f ms after \"publishing %d\" (the last publication took"
                + " %.0f ms), the last line was \"%s\"%n%s", seed, delay / 1e6, completeBeforeKill + 1, last / 1e6,
                publisher.lines.get(publisher.lines.size() - 1),
                publisher.output());
        assertThat(exit).as(where).isNotZero();

        SnapshotStore store = new SnapshotStore(new Path(output), "killed");
        Long latest = store.latestSequence();
        assertThat(latest).as(where).isNotNull().isGreaterThanOrEqualTo(completeBeforeKill);
        assertThat(store.verify(latest)).as(where).isEmpty();
        long newestComplete = 0;
        for (long s : store.sequences()) {
            if (store.manifest(s) == null) {
                // The interrupted publication, or an old snapshot whose deletion (retention) was cut short.
                assertThat(s).as(where).isNotEqualTo(latest);
                assertThat(store.verify(s)).as(where).singleElement().asString().contains("incomplete snapshot");
            } else {
                assertThat(store.verify(s)).as("a snapshot with a manifest is whole; " + where).isEmpty();
                newestComplete = s;
            }
        }
        System.out.printf("%s: %s; LATEST %d, snapshots %s, newest complete %d%n", output, where.lines().findFirst()
                .orElse(""), latest, store.sequences(), newestComplete);
        // Killed between the manifest and the LATEST update, LATEST is one behind the newest complete snapshot.
        assertThat(latest).as(where).isBetween(newestComplete - 1, newestComplete);

        List<String> verify = new ArrayList<>(List.of("snapshots", "verify", store.runDir().toString()));
        verify.addAll(flinkArgs);
        CliRunner cli = CliRunner.run(verify.toArray(new String[0]));
        assertThat(cli.exitCode).as(cli.out + cli.err).isZero();
        assertThat(cli.out).contains("OK " + store.snapshotDir(latest) + " LATEST");
        // Tens of MB per run: do not let the server's data folder grow with every test run.
        new Path(output).getFileSystem().delete(new Path(output), true);
    }

    static long lastPublicationNanos(JvmProcesses publisher) {
        long last = 0;
        Long started = null;
        for (int i = 0; i < publisher.lines.size(); i++) {
            String line = publisher.lines.get(i);
            if (line.startsWith("publishing ")) {
                started = publisher.lineNanos.get(i);
            } else if (line.startsWith("published ") && started != null) {
                last = publisher.lineNanos.get(i) - started;
            }
        }
        return last;
    }
}
