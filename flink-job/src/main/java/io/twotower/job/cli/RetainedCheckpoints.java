package io.twotower.job.cli;

import org.apache.flink.core.fs.FileStatus;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.Path;

import java.io.IOException;
import java.util.Comparator;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds the checkpoint to resume an embedded run from ({@code --resume-from}). Flink writes a checkpoint to
 * {@code <checkpoint dir>/<job id>/chk-<n>/}, and only a completed one has its {@code _metadata} file: a run
 * killed mid-checkpoint leaves a folder without one. A resumed job gets a new job id, so the newest checkpoint
 * may sit under any job folder: the newest {@code _metadata} wins (ties: the higher checkpoint number, which a
 * resumed job continues counting from).
 */
public final class RetainedCheckpoints {
    static final String METADATA = "_metadata";
    private static final Pattern CHECKPOINT = Pattern.compile("chk-(\\d+)");

    private RetainedCheckpoints() {}

    /** One completed checkpoint: its folder, the time its metadata was written and its number. */
    record Found(Path dir, long modified, long number) {}

    /**
     * What {@code execution.state-recovery.path} should be for {@code location}: a checkpoint or savepoint folder
     * (with {@code _metadata}) as it is, or, for a folder of job folders (the checkpoint dir), its newest
     * completed checkpoint. Fails naming the folder when there is none.
     */
    public static String resolve(String location) throws IOException {
        Path path = new Path(location);
        FileSystem fs = path.getFileSystem();
        if (!fs.exists(path)) {
            throw new IllegalArgumentException("--resume-from " + location + ": no such checkpoint or folder");
        }
        if (fs.exists(new Path(path, METADATA))) {
            return path.makeQualified(fs).toUri().toString();
        }
        Found newest = newest(path).orElseThrow(() -> new IllegalArgumentException("--resume-from " + location
                + ": no completed checkpoint (a chk-<n> folder with " + METADATA + ") in it or its job folders"));
        return newest.dir().makeQualified(fs).toUri().toString();
    }

    /** The newest completed checkpoint in {@code dir} (chk-n folders) or its sub-folders (job ids). */
    static Optional<Found> newest(Path dir) throws IOException {
        FileSystem fs = dir.getFileSystem();
        Found best = null;
        for (FileStatus child : list(fs, dir)) {
            if (!child.isDir()) {
                continue;
            }
            Found here = completed(fs, child.getPath());
            if (here == null) {
                for (FileStatus grandchild : list(fs, child.getPath())) {
                    Found f = grandchild.isDir() ? completed(fs, grandchild.getPath()) : null;
                    best = newer(best, f);
                }
            } else {
                best = newer(best, here);
            }
        }
        return Optional.ofNullable(best);
    }

    private static Found completed(FileSystem fs, Path dir) throws IOException {
        Matcher m = CHECKPOINT.matcher(dir.getName());
        if (!m.matches()) {
            return null;
        }
        Path metadata = new Path(dir, METADATA);
        if (!fs.exists(metadata)) {
            return null;
        }
        return new Found(dir, fs.getFileStatus(metadata).getModificationTime(), Long.parseLong(m.group(1)));
    }

    private static Found newer(Found a, Found b) {
        if (a == null || b == null) {
            return a == null ? b : a;
        }
        Comparator<Found> order = Comparator.comparingLong(Found::modified).thenComparingLong(Found::number);
        return order.compare(a, b) >= 0 ? a : b;
    }

    private static FileStatus[] list(FileSystem fs, Path dir) throws IOException {
        FileStatus[] children = fs.listStatus(dir);
        return children == null ? new FileStatus[0] : children;
    }
}
