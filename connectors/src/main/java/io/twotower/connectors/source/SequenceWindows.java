package io.twotower.connectors.source;

import io.twotower.connectors.dataset.SequenceFiles;
import io.twotower.connectors.dataset.Sequences;
import org.apache.flink.core.fs.Path;

import java.io.IOException;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;

import static org.apache.flink.util.Preconditions.checkArgument;

/**
 * Picks the training rows whose windows tile each user's sequence, for every-position training ({@code model:
 * sequence}): one causal pass over a row (history h of m items, positive p) predicts h[1..m) and p, so a row is a
 * window of m targets, and training every row would predict each position up to {@code maxLength} times an epoch.
 *
 * <p>For a user with rows r_0..r_{n-1} (contiguous, in time order, as {@code prepare} writes them: row t's
 * positive is the user's t-th item, its history the up to cap items before it), step = min(maxLength, the longest
 * history among the user's rows) and the rows t = n-1, n-1-step, ... while t &gt;= 1 are selected: row t's window
 * covers the targets t-step+1 .. t, the first window 1..t, so every position t &gt;= 1 is a target exactly once.
 * Row 0 (an empty history) predicts nothing.
 */
public final class SequenceWindows {
    private static final String LAYOUT = "every-position training (model: sequence) needs each user's rows "
            + "contiguous and in time order, as `prepare` writes them";

    private SequenceWindows() {}

    /**
     * The indices, ascending, of the rows of {@code rows} whose windows of at most {@code maxLength} targets tile
     * each user's sequence; fails naming {@code fileName}, the row and the user when the rows are not laid out as
     * {@code prepare} writes them.
     */
    public static int[] select(Sequences rows, int maxLength, String fileName) {
        return select(rows, maxLength, 0, fileName);
    }

    /**
     * As above, keeping only each user's {@code latestPerUser} latest windows (0: all of them): with 1, each epoch
     * trains every user's latest {@code maxLength} positions, as SASRec's reference implementation does.
     */
    public static int[] select(Sequences rows, int maxLength, int latestPerUser, String fileName) {
        checkArgument(maxLength > 0, "The window length must be > 0, got %s.", maxLength);
        checkArgument(latestPerUser >= 0, "The windows per user must be >= 0 (0: all), got %s.", latestPerUser);
        int[] selected = new int[rows.size()];
        int count = 0;
        BitSet finishedUsers = new BitSet();
        int start = 0;
        while (start < rows.size()) {
            int user = rows.user(start);
            if (finishedUsers.get(user)) {
                throw layoutError(fileName, start, user, "its rows appear again after another user's");
            }
            int end = start;
            int longest = 0;
            while (end < rows.size() && rows.user(end) == user) {
                int length = rows.historyLength(end);
                if (end > start && length > 0) {
                    int last = rows.historyItem(end, length - 1);
                    if (last != rows.positive(end - 1)) {
                        throw layoutError(fileName, end, user, String.format(
                                "its history ends with item %d, not with the previous row's positive item %d",
                                last, rows.positive(end - 1)));
                    }
                }
                longest = Math.max(longest, length);
                end++;
            }
            finishedUsers.set(user);
            for (int t : forUser(end - start, longest, maxLength, latestPerUser)) {
                selected[count++] = start + t;
            }
            start = end;
        }
        return Arrays.copyOf(selected, count);
    }

    /**
     * The selected rows t (ascending) of one user with rows 0..n-1 whose longest history has {@code longest} items:
     * step = min(maxLength, longest), t = n-1, n-1-step, ... while t &gt;= 1 (the latest {@code latestPerUser} of
     * them, 0: all). The one rule for both layouts: the compact layout's reader applies it to a user's sequence.
     */
    public static int[] forUser(int n, int longest, int maxLength, int latestPerUser) {
        int step = Math.min(maxLength, longest);
        if (step <= 0 || n < 2) {
            return new int[0];
        }
        // The windows are counted back from the last row; the first one takes what is left: 1..first.
        int first = (n - 2) % step + 1;
        if (latestPerUser > 0) {
            first = Math.max(first, n - 1 - (latestPerUser - 1) * step);
        }
        int[] out = new int[(n - 1 - first) / step + 1];
        for (int i = 0, t = first; t < n; t += step) {
            out[i++] = t;
        }
        return out;
    }

    /**
     * The rows the source emits per epoch over {@code files} with {@code setSequenceWindows(maxLength)}: the
     * windows of every file, or every row when {@code maxLength} is 0. With windows, also fails when a user's rows
     * continue in a later file (each file is tiled on its own, so a user split over files would be mis-tiled).
     */
    public static long count(List<String> files, int numUsers, int numItems, int maxLength) throws IOException {
        return count(files, numUsers, numItems, maxLength, 0);
    }

    /** As above, with each user's {@code latestPerUser} latest windows only (0: all). */
    public static long count(List<String> files, int numUsers, int numItems, int maxLength, int latestPerUser)
            throws IOException {
        checkArgument(maxLength >= 0, "The window length must be >= 0, got %s.", maxLength);
        long total = 0;
        BitSet usersOfEarlierFiles = new BitSet(numUsers);
        for (String file : files) {
            Sequences rows = SequenceFiles.read(new Path(file), numUsers, numItems);
            if (maxLength == 0) {
                total += rows.size();
                continue;
            }
            total += select(rows, maxLength, latestPerUser, file).length;
            for (int r = 0; r < rows.size(); r++) {
                if (usersOfEarlierFiles.get(rows.user(r))) {
                    throw layoutError(file, r, rows.user(r), "its rows began in an earlier training file");
                }
            }
            for (int r = 0; r < rows.size(); r++) {
                usersOfEarlierFiles.set(rows.user(r));
            }
        }
        return total;
    }

    private static IllegalArgumentException layoutError(String fileName, int row, int user, String problem) {
        return new IllegalArgumentException(
                String.format("%s: row %d, user %d: %s; %s", fileName, row, user, problem, LAYOUT));
    }
}
