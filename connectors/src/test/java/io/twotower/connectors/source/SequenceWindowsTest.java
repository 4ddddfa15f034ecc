package io.twotower.connectors.source;

import io.twotower.connectors.dataset.Sequences;
import io.twotower.connectors.source.EpochSequenceReaderDriver.Emitted;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static io.twotower.connectors.source.WindowedFiles.NUM_ITEMS;
import static io.twotower.connectors.source.WindowedFiles.NUM_USERS;
import static io.twotower.connectors.source.WindowedFiles.assertTilesEveryPositionOnce;
import static io.twotower.connectors.source.WindowedFiles.userOf;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The rows whose windows tile each user's sequence, and the layouts that cannot be tiled. */
class SequenceWindowsTest {
    private static final int CAP = 10;
    /** Shorter than, equal to and longer than the cap and the window lengths tried; 1 item: nothing to predict. */
    private static final int[] LENGTHS = {1, 2, 3, 9, 10, 11, 12, 23, 47, 100};

    @Test
    void selectsRowsCountedBackFromEachUsersLastRow() {
        Sequences rows = WindowedFiles.rows(0, new int[] {8, 1, 2, 4}, 50);
        // user 0: rows 0..7, step 3: t = 7, 4, 1; user 1: row 8 alone; user 2: rows 9..10, step min(3, 1) = 1: t = 1;
        // user 3: rows 11..14, step 3: t = 3 and then 0, which predicts nothing
        assertThat(SequenceWindows.select(rows, 3, "train.parquet")).containsExactly(1, 4, 7, 10, 14);
    }

    @Test
    void keepsEachUsersLatestWindowsWhenAsked() {
        Sequences rows = WindowedFiles.rows(0, new int[] {8, 1, 2, 4}, 50);
        // as above, the latest window per user (t = 7; none; t = 1; t = 3), then the latest two (t = 4, 7; ...)
        assertThat(SequenceWindows.select(rows, 3, 1, "train.parquet")).containsExactly(7, 10, 14);
        assertThat(SequenceWindows.select(rows, 3, 2, "train.parquet")).containsExactly(4, 7, 10, 14);
        assertThat(SequenceWindows.select(rows, 3, 0, "train.parquet"))
                .containsExactly(SequenceWindows.select(rows, 3, "train.parquet"));
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 7, 10, 11, 25, 1000})
    void windowsPredictEveryPositionOnce(int maxLength) {
        Sequences rows = WindowedFiles.rows(0, LENGTHS, CAP);
        List<Emitted> emitted = new ArrayList<>();
        for (int r : SequenceWindows.select(rows, maxLength, "train.parquet")) {
            emitted.add(new Emitted(new SequenceRow(rows.user(r), rows.positive(r), rows.history(r), 0, r, 0)));
        }
        assertTilesEveryPositionOnce(emitted, 0, LENGTHS, maxLength);
    }

    @Test
    void aUserWhoseRowsAreNotContiguousIsRejected() {
        Sequences good = WindowedFiles.rows(0, new int[] {3, 2}, CAP);
        Sequences rows = new Sequences(8);
        for (int r : new int[] {0, 1, 3, 4, 2}) {
            rows.add(good.user(r), good.positive(r), good.history(r), 0, good.historyLength(r));
        }
        assertThatThrownBy(() -> SequenceWindows.select(rows, 5, "part-0.parquet"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("part-0.parquet: row 4, user " + userOf(0) + ": ")
                .hasMessageContaining("appear again")
                .hasMessageContaining("model: sequence")
                .hasMessageContaining("contiguous and in time order");
    }

    @Test
    void aHistoryThatDoesNotEndWithThePreviousPositiveIsRejected() {
        Sequences good = WindowedFiles.rows(0, new int[] {2, 5}, CAP);
        Sequences rows = new Sequences(8);
        // user 1's rows 3 and 4 (its t = 1 and 2) swapped
        for (int r : new int[] {0, 1, 2, 4, 3, 5, 6}) {
            rows.add(good.user(r), good.positive(r), good.history(r), 0, good.historyLength(r));
        }
        assertThatThrownBy(() -> SequenceWindows.select(rows, 5, "train.parquet"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("train.parquet: row 3, user " + userOf(1) + ": ")
                .hasMessageContaining("previous row's positive item " + good.positive(2))
                .hasMessageContaining("contiguous and in time order");
    }

    @Test
    void countsTheWindowsOfEveryFileOrEveryRow(@TempDir Path dir) throws Exception {
        String first = WindowedFiles.write(dir, "part-0.parquet", WindowedFiles.rows(0, new int[] {8, 1, 2}, 50));
        String second = WindowedFiles.write(dir, "part-1.parquet", WindowedFiles.rows(3, new int[] {4}, 50));
        // 3 + 0 + 1 windows, then 1 (t = 3; t = 0 predicts nothing)
        assertThat(SequenceWindows.count(List.of(first, second), NUM_USERS, NUM_ITEMS, 3)).isEqualTo(5);
        assertThat(SequenceWindows.count(List.of(first, second), NUM_USERS, NUM_ITEMS, 0)).isEqualTo(15);
    }

    @Test
    void aUserSplitOverTwoFilesIsRejected(@TempDir Path dir) throws Exception {
        Sequences all = WindowedFiles.rows(0, new int[] {2, 6}, CAP);
        Sequences head = new Sequences(8);
        Sequences tail = new Sequences(8);
        for (int r = 0; r < all.size(); r++) {
            (r < 5 ? head : tail).add(all.user(r), all.positive(r), all.history(r), 0, all.historyLength(r));
        }
        String first = WindowedFiles.write(dir, "part-0.parquet", head);
        String second = WindowedFiles.write(dir, "part-1.parquet", tail);
        assertThatThrownBy(() -> SequenceWindows.count(List.of(first, second), NUM_USERS, NUM_ITEMS, 4))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith(second + ": row 0, user " + userOf(1) + ": ")
                .hasMessageContaining("earlier training file");
    }

    @Test
    void aWindowLengthBelowOneIsRejected() {
        Sequences rows = WindowedFiles.rows(0, new int[] {3}, CAP);
        assertThatThrownBy(() -> SequenceWindows.select(rows, 0, "train.parquet"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("got 0");
    }
}
