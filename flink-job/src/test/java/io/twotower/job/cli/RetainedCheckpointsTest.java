package io.twotower.job.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** --resume-from: the newest completed checkpoint of any job under the checkpoint dir, or the folder given. */
class RetainedCheckpointsTest {
    static Path checkpoint(Path dir, String job, int n, long modifiedMillis, boolean completed) throws IOException {
        Path chk = Files.createDirectories(dir.resolve(job).resolve("chk-" + n));
        if (completed) {
            Path metadata = Files.write(chk.resolve("_metadata"), new byte[] {1});
            Files.setLastModifiedTime(metadata, FileTime.fromMillis(modifiedMillis));
        }
        return chk;
    }

    @Test
    void picksTheNewestCompletedCheckpointAcrossJobs(@TempDir Path dir) throws IOException {
        checkpoint(dir, "job-a", 7, 1_000_000, true);
        Path newest = checkpoint(dir, "job-b", 9, 2_000_000, true);
        // Newer, but killed before its metadata was written: not a checkpoint.
        checkpoint(dir, "job-b", 10, 0, false);
        Files.createDirectories(dir.resolve("job-b").resolve("shared"));
        assertThat(RetainedCheckpoints.resolve(dir.toString())).startsWith("file:").endsWith(newest.toString());
    }

    @Test
    void aTieInTimeGoesToTheHigherCheckpointNumber(@TempDir Path dir) throws IOException {
        checkpoint(dir, "job-a", 3, 5_000, true);
        Path higher = checkpoint(dir, "job-b", 4, 5_000, true);
        assertThat(RetainedCheckpoints.resolve(dir.toString())).startsWith("file:").endsWith(higher.toString());
    }

    @Test
    void aCheckpointFolderIsTakenAsItIs(@TempDir Path dir) throws IOException {
        Path chk = checkpoint(dir, "job-a", 3, 5_000, true);
        checkpoint(dir, "job-a", 4, 9_000, true);
        assertThat(RetainedCheckpoints.resolve(chk.toString())).startsWith("file:").endsWith(chk.toString());
    }

    @Test
    void noCompletedCheckpointIsAnErrorNamingTheFolder(@TempDir Path dir) throws IOException {
        checkpoint(dir, "job-a", 1, 0, false);
        assertThatThrownBy(() -> RetainedCheckpoints.resolve(dir.toString()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("--resume-from " + dir)
                .hasMessageContaining("no completed checkpoint");
        assertThatThrownBy(() -> RetainedCheckpoints.resolve(dir.resolve("missing").toString()))
                .hasMessageContaining("no such checkpoint or folder");
    }
}
