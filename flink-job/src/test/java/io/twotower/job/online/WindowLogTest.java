package io.twotower.job.online;

import org.apache.flink.core.fs.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** windows.jsonl stays bounded: full files roll, the state keeps only the newest lines, restores rewrite the same files. */
class WindowLogTest {
    static List<String> lines(int from, int to) {
        List<String> lines = new ArrayList<>();
        for (int i = from; i < to; i++) {
            lines.add("{\"window\":" + i + "}");
        }
        return lines;
    }

    /** Every window line on disk: the rolled files in order, then windows.jsonl. */
    static List<String> onDisk(java.nio.file.Path dir) throws IOException {
        List<String> all = new ArrayList<>();
        try (var files = Files.list(dir)) {
            files.map(p -> p.getFileName().toString()).filter(n -> n.matches("windows-\\d{6}\\.jsonl")).sorted()
                    .forEach(n -> {
                        try {
                            all.addAll(Files.readAllLines(dir.resolve(n)));
                        } catch (IOException e) {
                            throw new RuntimeException(e);
                        }
                    });
        }
        all.addAll(Files.readAllLines(dir.resolve("windows.jsonl")));
        return all;
    }

    static WindowLog roundTrip(WindowLog log) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        log.write(new DataOutputStream(bytes));
        return WindowLog.read(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));
    }

    @Test
    void rollsFullFilesAndKeepsOnlyTheNewestLines(@TempDir java.nio.file.Path dir) throws IOException {
        WindowLog log = new WindowLog();
        for (String line : lines(0, 7)) {
            log.append(new Path(dir.toUri()), line, 3);
        }
        assertThat(Files.readAllLines(dir.resolve("windows-000001.jsonl"))).isEqualTo(lines(0, 3));
        assertThat(Files.readAllLines(dir.resolve("windows-000002.jsonl"))).isEqualTo(lines(3, 6));
        assertThat(Files.readAllLines(dir.resolve("windows.jsonl"))).isEqualTo(lines(6, 7));
        assertThat(onDisk(dir)).isEqualTo(lines(0, 7));
        assertThat(log.recentLines()).isEqualTo(lines(4, 7));
        assertThat(log.windows(3)).isEqualTo(7);
        assertThat(roundTrip(log)).usingRecursiveComparison().isEqualTo(log);
    }

    @Test
    void windowsClosedAgainAfterARestoreRewriteTheSameFiles(@TempDir java.nio.file.Path dir) throws IOException {
        Path out = new Path(dir.toUri());
        WindowLog log = new WindowLog();
        for (String line : lines(0, 5)) {
            log.append(out, line, 3);
        }
        WindowLog checkpointed = roundTrip(log);
        // Closed after the checkpoint, then the process dies: windows 5 to 7 (one roll) are closed again.
        for (String line : lines(5, 8)) {
            log.append(out, line, 3);
        }
        for (String line : lines(5, 8)) {
            checkpointed.append(out, line, 3);
        }
        assertThat(onDisk(dir)).isEqualTo(lines(0, 8));
        assertThat(checkpointed).usingRecursiveComparison().isEqualTo(log);
    }

    @Test
    void aLegacyListOfEveryLineIsRolledIntoFilesOnRestore(@TempDir java.nio.file.Path dir) throws IOException {
        Path out = new Path(dir.toUri());
        WindowLog log = WindowLog.migrate(lines(0, 7), out, 3);
        assertThat(onDisk(dir)).isEqualTo(lines(0, 7));
        assertThat(Files.readAllLines(dir.resolve("windows.jsonl"))).isEqualTo(lines(6, 7));
        log.append(out, "{\"window\":7}", 3);
        log.append(out, "{\"window\":8}", 3);
        log.append(out, "{\"window\":9}", 3);
        assertThat(onDisk(dir)).isEqualTo(lines(0, 10));
        assertThat(log.recentLines()).isEqualTo(lines(7, 10));

        // Exactly full: windows.jsonl keeps the last whole file's lines until the next window rolls them.
        java.nio.file.Path other = Files.createDirectory(dir.resolve("other"));
        WindowLog full = WindowLog.migrate(lines(0, 6), new Path(other.toUri()), 3);
        assertThat(Files.readAllLines(other.resolve("windows.jsonl"))).isEqualTo(lines(3, 6));
        assertThat(onDisk(other)).isEqualTo(lines(0, 6));
        assertThat(full.windows(3)).isEqualTo(6);
    }

    @Test
    void aSmallerFileSizeAfterARestoreRollsWithoutLosingLines(@TempDir java.nio.file.Path dir) throws IOException {
        Path out = new Path(dir.toUri());
        WindowLog log = new WindowLog();
        for (String line : lines(0, 4)) {
            log.append(out, line, 10);
        }
        for (String line : lines(4, 6)) {
            log.append(out, line, 2);
        }
        assertThat(onDisk(dir)).isEqualTo(lines(0, 6));
        assertThat(log.recentLines()).hasSize(2);
    }
}
