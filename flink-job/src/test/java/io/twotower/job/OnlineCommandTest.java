package io.twotower.job;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** The online command's new options fail before any job starts, naming the option (no broker needed). */
class OnlineCommandTest {
    static CliRunner online(Path out, String... extra) throws Exception {
        String[] base = {"online", "--bootstrap-servers", "127.0.0.1:1", "--topic", "t", "--output", out.toString()};
        String[] args = new String[base.length + extra.length];
        System.arraycopy(base, 0, args, 0, base.length);
        System.arraycopy(extra, 0, args, base.length, extra.length);
        return CliRunner.run(args);
    }

    @Test
    void resumeFromLatestWithoutACompletedCheckpointIsAnError(@TempDir Path out) throws Exception {
        CliRunner missing = online(out, "--resume-from", "latest");
        assertThat(missing.exitCode).isEqualTo(2);
        assertThat(missing.err).contains("error: --resume-from").contains("checkpoints")
                .contains("no such checkpoint or folder");

        // A checkpoint killed before its metadata was written does not count.
        Files.createDirectories(out.resolve("checkpoints").resolve("0123abcd").resolve("chk-3"));
        CliRunner incomplete = online(out, "--resume-from", "latest");
        assertThat(incomplete.exitCode).isEqualTo(2);
        assertThat(incomplete.err).contains("no completed checkpoint");
    }

    @Test
    void resumeFromAndARecoveryPathTogetherAreABadCommandLine(@TempDir Path out) throws Exception {
        CliRunner both = online(out, "--resume-from", "latest", "-Dexecution.state-recovery.path=/tmp/x");
        assertThat(both.exitCode).isEqualTo(2);
        assertThat(both.err).contains("give one");
    }

    @Test
    void badHistoryOptionsNameTheOption(@TempDir Path out) throws Exception {
        assertThat(online(out, "--max-history", "0").err).contains("--max-history must be at least 1");
        assertThat(online(out, "--windows-per-file", "0").err).contains("--windows-per-file must be at least 1");
        assertThat(online(out, "--history-ttl", "soon").exitCode).isEqualTo(2);
    }
}
