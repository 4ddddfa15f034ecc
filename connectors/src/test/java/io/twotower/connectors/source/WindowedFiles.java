package io.twotower.connectors.source;

import io.twotower.connectors.dataset.SequenceFiles;
import io.twotower.connectors.dataset.Sequences;
import io.twotower.connectors.source.EpochSequenceReaderDriver.Emitted;
import org.apache.flink.core.fs.Path;

import java.io.IOException;
import java.nio.file.Files;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Training files laid out as {@code prepare} writes them, whose items name their (user, position): user slot s's
 * t-th item is {@code s * MAX_LENGTH + t}, so a window's targets can be checked without the file.
 */
final class WindowedFiles {
    static final int MAX_LENGTH = 200;
    static final int NUM_USERS = 64;
    static final int NUM_ITEMS = NUM_USERS * MAX_LENGTH;

    private WindowedFiles() {}

    /** User id of slot {@code slot}: not in file order, so nothing relies on sorted users. */
    static int userOf(int slot) {
        return (slot * 37 + 11) % NUM_USERS;
    }

    /**
     * Rows for the users of slots {@code firstSlot ..} with {@code lengths[i]} items each: row t has positive =
     * item t and history = the up to {@code cap} items before it, each user's rows contiguous in time order.
     */
    static Sequences rows(int firstSlot, int[] lengths, int cap) {
        Sequences rows = new Sequences(64);
        for (int i = 0; i < lengths.length; i++) {
            int slot = firstSlot + i;
            int[] seq = new int[lengths[i]];
            for (int t = 0; t < seq.length; t++) {
                seq[t] = slot * MAX_LENGTH + t;
            }
            for (int t = 0; t < seq.length; t++) {
                rows.add(userOf(slot), seq[t], seq, Math.max(0, t - cap), t);
            }
        }
        return rows;
    }

    static String write(java.nio.file.Path dir, String name, Sequences rows) throws IOException {
        Files.createDirectories(dir);
        Path path = new Path(dir.resolve(name).toUri());
        SequenceFiles.write(path, rows);
        return path.toString();
    }

    /**
     * Asserts that the windows of at most {@code maxLength} targets of {@code emitted} (the last {@code maxLength}
     * history items' successors, then the positive) predict every position t >= 1 of each user of {@code lengths}
     * (slots from {@code firstSlot}) exactly once.
     */
    static void assertTilesEveryPositionOnce(List<Emitted> emitted, int firstSlot, int[] lengths, int maxLength) {
        Map<Integer, Integer> predicted = new HashMap<>();
        for (Emitted e : emitted) {
            int[] h = e.history;
            assertThat(h).as("history of emitted row %s", e.rowId).isNotEmpty();
            int m = Math.min(h.length, maxLength);
            for (int j = h.length - m + 1; j <= h.length; j++) {
                int target = j < h.length ? h[j] : e.positive;
                assertThat(userOf(target / MAX_LENGTH)).as("user of target %s", target).isEqualTo(e.user);
                predicted.merge(target, 1, Integer::sum);
            }
        }
        Map<Integer, Integer> expected = new HashMap<>();
        for (int i = 0; i < lengths.length; i++) {
            for (int t = 1; t < lengths[i]; t++) {
                expected.put((firstSlot + i) * MAX_LENGTH + t, 1);
            }
        }
        assertThat(predicted).isEqualTo(expected);
    }
}
