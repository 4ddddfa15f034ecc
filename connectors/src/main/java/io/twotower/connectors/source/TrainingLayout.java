package io.twotower.connectors.source;

import java.io.IOException;
import java.io.Serializable;
import java.util.List;

/**
 * How the training source turns a split's file into rows: the notebook's files (each read whole, one exact
 * permutation per epoch) or the compact layout's parts (streamed, the rows expanded from each user's sequence with
 * the manifest's history cap, shuffled through a bounded buffer).
 */
public final class TrainingLayout implements Serializable {
    private static final long serialVersionUID = 1L;

    private final boolean userSequences;
    private final int maxHistory;
    private final int shuffleBufferRows;

    private TrainingLayout(boolean userSequences, int maxHistory, int shuffleBufferRows) {
        this.userSequences = userSequences;
        this.maxHistory = maxHistory;
        this.shuffleBufferRows = shuffleBufferRows;
    }

    public static TrainingLayout notebook() {
        return new TrainingLayout(false, 0, 0);
    }

    /** The compact layout, its rows' history capped at {@code maxHistory}, shuffled through {@code shuffleBufferRows}. */
    public static TrainingLayout userSequences(int maxHistory, int shuffleBufferRows) {
        if (maxHistory <= 0) {
            throw new IllegalArgumentException("The history cap must be > 0, got " + maxHistory);
        }
        if (shuffleBufferRows <= 0) {
            throw new IllegalArgumentException("shuffle_buffer must be > 0 rows, got " + shuffleBufferRows);
        }
        return new TrainingLayout(true, maxHistory, shuffleBufferRows);
    }

    public boolean isUserSequences() {
        return userSequences;
    }

    /**
     * The rows of training files {@code paths} (the first is index {@code fileIndex} of the data set's files) in the
     * order the source reads them with {@code shuffleSeed} (the source uses SplitMix64.mix(seed, epoch, fileIndex)):
     * one notebook file, or any number of the compact layout's parts, read as one pool of row groups.
     */
    public SplitRows open(List<String> paths, int fileIndex, int numUsers, int numItems, long shuffleSeed,
            int windowLength, int windowsPerUser) throws IOException {
        if (userSequences) {
            return new UserSequenceRows(paths, numUsers, numItems, maxHistory, windowLength, windowsPerUser,
                    shuffleBufferRows, shuffleSeed);
        }
        if (paths.size() != 1) {
            throw new IllegalArgumentException("a notebook split reads one file, got " + paths);
        }
        return new NotebookFileRows(paths.get(0), fileIndex, numUsers, numItems, shuffleSeed, windowLength,
                windowsPerUser);
    }

    /** Whether an epoch's files are read together, as one split (the compact layout's parts). */
    public boolean readsFilesTogether() {
        return userSequences;
    }

    /**
     * The rows one epoch emits over {@code files}: for the compact layout by a pass over the parts that also checks
     * every value; for the notebook's, as {@link SequenceWindows#count}.
     */
    public long rowsPerEpoch(List<String> files, int numUsers, int numItems, int windowLength, int windowsPerUser)
            throws IOException {
        return userSequences
                ? userSequenceRows(files, numUsers, numItems, maxHistory, windowLength, windowsPerUser)
                : SequenceWindows.count(files, numUsers, numItems, windowLength, windowsPerUser);
    }

    /**
     * The rows an epoch emits from the compact layout's {@code parts} with history cap {@code maxHistory}, by one
     * pass that checks every value and that no user appears twice.
     */
    public static long userSequenceRows(List<String> parts, int numUsers, int numItems, int maxHistory,
            int windowLength, int windowsPerUser) throws IOException {
        long rows = 0;
        java.util.BitSet usersSeen = new java.util.BitSet(numUsers);
        for (String part : parts) {
            rows += UserSequenceRows.count(part, numUsers, numItems, maxHistory, windowLength, windowsPerUser, usersSeen);
        }
        return rows;
    }

    @Override
    public String toString() {
        return userSequences ? "user_sequences (max history " + maxHistory + ", shuffle buffer " + shuffleBufferRows
                + " rows)" : "notebook";
    }
}
