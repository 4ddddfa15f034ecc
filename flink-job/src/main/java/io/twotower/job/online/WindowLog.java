package io.twotower.job.online;

import org.apache.flink.core.fs.FSDataOutputStream;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.Path;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;

import static io.twotower.job.trainer.StateStreams.readText;
import static io.twotower.job.trainer.StateStreams.writeText;
import static org.apache.flink.util.Preconditions.checkArgument;

/**
 * The window lines of an online run, in files of bounded size: {@code windows.jsonl} holds the newest (at most
 * {@code linesPerFile}) windows and is rewritten whole at each window, as before; when it is full it rolls into
 * {@code windows-000001.jsonl}, {@code windows-000002.jsonl}, ..., written once. The rolled files in order, then
 * windows.jsonl, are the whole run. Memory, checkpointed state and the bytes written per window stay bounded by
 * {@code linesPerFile} however long the run, where one file of every window grew O(windows) in memory and wrote
 * O(windows^2) over the run. Only whole files are written (object stores cannot append), and a window closed
 * again after a restore rewrites the same files: the files match the checkpointed state.
 */
final class WindowLog {
    static final int DEFAULT_LINES_PER_FILE = 1000;
    static final String CURRENT_FILE = OnlineTrainerOperator.WINDOWS_FILE;

    /** The newest lines, at most linesPerFile: what the running curves show; windows.jsonl is their last inCurrent. */
    final ArrayDeque<String> recent = new ArrayDeque<>();
    int inCurrent;
    /** Files rolled so far (windows-000001.jsonl to this one). */
    long rolled;

    /** The name of the {@code n}th rolled file (from 1). */
    static String rolledFile(long n) {
        return String.format(Locale.ROOT, "windows-%06d.jsonl", n);
    }

    /** Adds a closed window's line and writes windows.jsonl (and, when it was full, the file it rolls into). */
    void append(Path dir, String line, int linesPerFile) throws IOException {
        checkArgument(linesPerFile >= 1, "windows per file must be at least 1, got %s", linesPerFile);
        if (inCurrent >= linesPerFile) {
            rolled++;
            write(new Path(dir, rolledFile(rolled)), newest(inCurrent));
            inCurrent = 0;
        }
        recent.addLast(line);
        while (recent.size() > linesPerFile) {
            recent.removeFirst();
        }
        inCurrent++;
        write(new Path(dir, CURRENT_FILE), newest(inCurrent));
    }

    /** The newest lines, oldest first (at most linesPerFile). */
    List<String> recentLines() {
        return new ArrayList<>(recent);
    }

    /** Windows closed so far. */
    long windows(int linesPerFile) {
        return rolled * linesPerFile + inCurrent;
    }

    private List<String> newest(int n) {
        List<String> lines = new ArrayList<>(n);
        Iterator<String> it = recent.descendingIterator();
        for (int i = 0; i < n && it.hasNext(); i++) {
            lines.add(it.next());
        }
        java.util.Collections.reverse(lines);
        return lines;
    }

    private static void write(Path path, List<String> lines) throws IOException {
        StringBuilder text = new StringBuilder();
        for (String line : lines) {
            text.append(line).append('\n');
        }
        try (FSDataOutputStream out = path.getFileSystem().create(path, FileSystem.WriteMode.OVERWRITE)) {
            out.write(text.toString().getBytes(StandardCharsets.UTF_8));
        }
    }

    void write(DataOutputStream out) throws IOException {
        out.writeLong(rolled);
        out.writeInt(inCurrent);
        out.writeInt(recent.size());
        for (String line : recent) {
            writeText(out, line);
        }
    }

    static WindowLog read(DataInputStream in) throws IOException {
        WindowLog log = new WindowLog();
        log.rolled = in.readLong();
        log.inCurrent = in.readInt();
        int n = in.readInt();
        for (int i = 0; i < n; i++) {
            log.recent.addLast(readText(in));
        }
        if (log.inCurrent > log.recent.size()) {
            throw new IOException("corrupt window log state: " + log.inCurrent + " lines in windows.jsonl but "
                    + log.recent.size() + " kept");
        }
        return log;
    }

    /**
     * The log of a checkpoint from before this class (state versions 1 to 3 kept every line): rolls all but the
     * newest lines into files now, so windows.jsonl is bounded from the first window closed after the restore.
     */
    static WindowLog migrate(List<String> allLines, Path dir, int linesPerFile) throws IOException {
        checkArgument(linesPerFile >= 1, "windows per file must be at least 1, got %s", linesPerFile);
        WindowLog log = new WindowLog();
        int whole = allLines.isEmpty() ? 0 : (allLines.size() - 1) / linesPerFile;
        for (int f = 0; f < whole; f++) {
            write(new Path(dir, rolledFile(f + 1)), allLines.subList(f * linesPerFile, (f + 1) * linesPerFile));
        }
        log.rolled = whole;
        log.inCurrent = allLines.size() - whole * linesPerFile;
        log.recent.addAll(allLines.subList(Math.max(0, allLines.size() - linesPerFile), allLines.size()));
        if (!allLines.isEmpty()) {
            write(new Path(dir, CURRENT_FILE), allLines.subList(whole * linesPerFile, allLines.size()));
        }
        return log;
    }
}
