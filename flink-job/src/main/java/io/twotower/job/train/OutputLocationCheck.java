package io.twotower.job.train;

import io.twotower.connectors.snapshot.StorageErrors;
import org.apache.flink.core.fs.FSDataOutputStream;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.Path;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.UUID;

/**
 * Checks, before a job is submitted, that its output location can be written: a tiny probe file under
 * {@code <output>/snapshots/} is written and deleted. A missing bucket or wrong credentials then fail in the
 * client, naming the location, instead of in the trainer after the first epoch.
 */
public final class OutputLocationCheck {
    private OutputLocationCheck() {}

    /** Throws an IOException naming {@code outputDir} and the likely cause when it cannot be written. */
    public static void check(String outputDir) throws IOException {
        Path output = new Path(outputDir);
        Path probe = new Path(new Path(output, "snapshots"), ".write-probe-" + UUID.randomUUID());
        try {
            FileSystem fs = probe.getFileSystem();
            // A HEAD first: it fails at once on bad credentials, where the SDK inside Flink's S3 file system
            // retries a refused listing (create's directory check) as a possible clock skew for a minute or more.
            fs.exists(probe);
            try (FSDataOutputStream out = fs.create(probe, FileSystem.WriteMode.OVERWRITE)) {
                out.write("probe".getBytes(StandardCharsets.US_ASCII));
            }
            fs.delete(probe, false);
        } catch (IOException e) {
            throw StorageErrors.describe("cannot write to --output", output, e);
        }
    }
}
