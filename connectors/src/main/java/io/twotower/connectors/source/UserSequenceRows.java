package io.twotower.connectors.source;

import io.twotower.common.SplitMix64;
import io.twotower.connectors.dataset.UserSequenceFiles;
import org.apache.flink.core.fs.Path;

import java.io.IOException;
import java.util.Arrays;
import java.util.List;

/**
 * Parts of the compact layout streamed into training rows with memory bounded by the shuffle buffer, whatever the
 * parts' size: the row groups of all the parts as one pool, in an order shuffled per (seed, epoch) (so every stretch
 * of the epoch mixes users of every part, not one part after another), each user's sequence expanded into the
 * notebook's rows (the t-th item as positive, the up to {@code maxHistory} items before it as history; with sequence
 * windows only the rows {@link SequenceWindows#forUser} selects), and the rows passed through a shuffle buffer of
 * {@code bufferRows} rows (fill it, then emit a random one and put the next row in its place; drain it randomly at
 * the end), the scheme tf.data and WebDataset use at scale. A buffer at least as large as the parts makes the order
 * one uniform random permutation of their rows. One part's reader is open at a time (a row group decoded). Every
 * random choice comes from the seed, so the order is the same in every run and a restored reader finds its place by
 * replaying.
 *
 * <p>A row does not carry its history: when a user's rows enter the buffer, the user's sequence is emitted once as a
 * user-sequence record (before any of those rows, which can only leave the buffer later), and each row carries its
 * index t; the keyed operator downstream keeps the sequence in keyed state and cuts each row's history from it
 * ({@link RowHistories#historyOf}), until the user's last row ({@link SequenceRow#last}). So the buffer holds three
 * ints and a reference a row, and rows travel without up to {@code maxHistory} ids each.
 *
 * <p>The row id is (user, t): stable across epochs and runs, unique within the data set.
 */
final class UserSequenceRows implements SplitRows {
    /** t is kept in the row id's low bits. */
    static final int T_BITS = 24;

    private final List<String> paths;
    private final int numUsers;
    private final int numItems;
    /** Row group g of the pool is row group groupIndex[g] of part groupPart[g]. */
    private final int[] groupPart;
    private final int[] groupIndex;
    private UserSequenceFiles.Reader reader;
    private int readerPart = -1;
    private final int maxHistory;
    private final int windowLength;
    private final int windowsPerUser;
    private final int[] groupOrder;
    private int nextGroup;
    private final SplitMix64 rng;

    // The user being expanded: its sequence and the t's of its rows still to enter the buffer.
    private int[] sequence;
    private int user;
    private int[] ts;
    private int nextT;
    /** The user's rows not yet emitted, shared by its rows in the buffer (so its last row is marked). */
    private int[] userRowsLeft;

    // The shuffle buffer: row i is row positions[i] (its t) of user users[i], whose positive is positives[i].
    private final int[] users;
    private final int[] positions;
    private final int[] positives;
    /** Each buffered row's user's count of rows not yet emitted (one array of one int per user in flight). */
    private final int[][] rowsLeft;
    private final int capacity;
    private int size;
    private boolean exhausted;
    /** Users whose rows entered the buffer, to be emitted as user-sequence records before any of those rows. */
    private final java.util.ArrayDeque<SequenceRow> pendingSequences = new java.util.ArrayDeque<>();

    UserSequenceRows(String path, int numUsers, int numItems, int maxHistory, int windowLength, int windowsPerUser,
            int bufferRows, long shuffleSeed) throws IOException {
        this(List.of(path), numUsers, numItems, maxHistory, windowLength, windowsPerUser, bufferRows, shuffleSeed);
    }

    UserSequenceRows(List<String> paths, int numUsers, int numItems, int maxHistory, int windowLength,
            int windowsPerUser, int bufferRows, long shuffleSeed) throws IOException {
        if (bufferRows <= 0) {
            throw new IllegalArgumentException("The shuffle buffer must hold at least one row, got " + bufferRows);
        }
        this.paths = List.copyOf(paths);
        this.numUsers = numUsers;
        this.numItems = numItems;
        this.maxHistory = maxHistory;
        this.windowLength = windowLength;
        this.windowsPerUser = windowsPerUser;
        int[] groups = new int[paths.size()];
        int total = 0;
        for (int p = 0; p < paths.size(); p++) {
            openPart(p);
            groups[p] = reader.rowGroups();
            total += groups[p];
        }
        this.groupPart = new int[total];
        this.groupIndex = new int[total];
        for (int p = 0, g = 0; p < paths.size(); p++) {
            for (int i = 0; i < groups[p]; i++, g++) {
                groupPart[g] = p;
                groupIndex[g] = i;
            }
        }
        // One part: the order of before parts were pooled (the same call on the same count).
        this.groupOrder = NotebookFileRows.shuffledOrder(total, SplitMix64.mix(shuffleSeed, 1));
        this.rng = new SplitMix64(SplitMix64.mix(shuffleSeed, 2));
        capacity = bufferRows;
        users = new int[bufferRows];
        positions = new int[bufferRows];
        positives = new int[bufferRows];
        rowsLeft = new int[bufferRows][];
    }

    private void openPart(int part) throws IOException {
        if (readerPart == part) {
            return;
        }
        if (reader != null) {
            reader.close();
            reader = null;
        }
        reader = UserSequenceFiles.Reader.open(new Path(paths.get(part)), numUsers, numItems);
        readerPart = part;
    }

    @Override
    public boolean next(SequenceRow out) throws IOException {
        while (!exhausted && size < capacity) {
            if (!pull(size)) {
                exhausted = true;
                break;
            }
            size++;
        }
        SequenceRow sequence = pendingSequences.poll();
        if (sequence != null) {
            out.user = sequence.user;
            out.sequence = sequence.sequence;
            out.last = false;
            out.positive = -1;
            out.history = null;
            out.t = -1;
            out.rowId = -1;
            return true;
        }
        if (size == 0) {
            return false;
        }
        // The rng draws only for rows, so the rows' order is the one rows with their history had.
        int j = rng.nextInt(size);
        int t = positions[j];
        out.user = users[j];
        out.positive = positives[j];
        out.history = null;
        out.sequence = null;
        out.t = t;
        out.rowId = ((long) users[j] << T_BITS) | t;
        // The user's last row of the epoch: downstream may drop the user's sequence after it.
        out.last = --rowsLeft[j][0] == 0;
        if (exhausted || !pull(j)) {
            exhausted = true;
            size--;
            users[j] = users[size];
            positions[j] = positions[size];
            positives[j] = positives[size];
            rowsLeft[j] = rowsLeft[size];
            rowsLeft[size] = null;
        }
        return true;
    }

    /** Puts the stream's next row into buffer slot {@code slot}; false when the part has no more rows. */
    private boolean pull(int slot) throws IOException {
        while (sequence == null || nextT >= ts.length) {
            if (!nextUser()) {
                return false;
            }
        }
        users[slot] = user;
        positions[slot] = ts[nextT];
        positives[slot] = sequence[ts[nextT]];
        rowsLeft[slot] = userRowsLeft;
        nextT++;
        return true;
    }

    private boolean nextUser() throws IOException {
        // Before the first seek the reader is only the last part opened for its row-group count: nothing is read.
        while (nextGroup == 0 || !reader.next()) {
            if (nextGroup >= groupOrder.length) {
                sequence = null;
                return false;
            }
            int g = groupOrder[nextGroup++];
            openPart(groupPart[g]);
            reader.seekRowGroup(groupIndex[g]);
        }
        int n = reader.length();
        if (n >= 1 << T_BITS) {
            throw new IOException(String.format("%s: user %d has %d training items; at most %d are supported",
                    paths.get(readerPart), reader.user(), n, (1 << T_BITS) - 1));
        }
        sequence = Arrays.copyOf(reader.items(), n);
        user = reader.user();
        ts = rowsOf(n, maxHistory, windowLength, windowsPerUser);
        nextT = 0;
        userRowsLeft = new int[] {ts.length};
        if (ts.length > 0) {
            SequenceRow record = new SequenceRow();
            record.user = user;
            record.sequence = sequence;
            pendingSequences.add(record);
        }
        return true;
    }

    /** The t's of a user's rows: all of 0..n-1, or the sequence windows' rows. */
    static int[] rowsOf(int n, int maxHistory, int windowLength, int windowsPerUser) {
        if (windowLength > 0) {
            return SequenceWindows.forUser(n, Math.min(n - 1, maxHistory), windowLength, windowsPerUser);
        }
        int[] all = new int[n];
        for (int t = 0; t < n; t++) {
            all[t] = t;
        }
        return all;
    }

    /**
     * The rows one epoch emits from {@code part} (every interaction, or the windows' rows), by a pass over the part;
     * validates every value on the way, and with {@code usersSeen} (shared by the parts of a data set) that no user
     * appears twice (the expansion needs a user's whole sequence in one row).
     */
    static long count(String part, int numUsers, int numItems, int maxHistory, int windowLength, int windowsPerUser,
            java.util.BitSet usersSeen) throws IOException {
        long[] rows = {0};
        UserSequenceFiles.forEachUser(new Path(part), numUsers, numItems, (user, items, length, row) -> {
            if (usersSeen != null) {
                if (usersSeen.get(user)) {
                    throw new IOException(String.format("%s: row %d, column '%s': user %d appears a second time in "
                            + "the data set (each user's sequence must be one row of one part)", part, row,
                            io.twotower.connectors.dataset.DatasetLayout.USER_COLUMN, user));
                }
                usersSeen.set(user);
            }
            rows[0] += windowLength > 0
                    ? SequenceWindows.forUser(length, Math.min(length - 1, maxHistory), windowLength, windowsPerUser).length
                    : length;
        });
        return rows[0];
    }

    @Override
    public void close() throws IOException {
        if (reader != null) {
            reader.close();
        }
    }
}
