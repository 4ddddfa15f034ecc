package io.twotower.model;

/**
 * One mini-batch as flat primitive arrays: users[b], positives[b], negatives[b * kNeg + j] and, for the
 * history tower, each row's most recent items in historyItems[b * historyLength + j] (oldest first,
 * historyCounts[b] of them). Reused between batches so the hot path allocates nothing per example.
 */
public final class TrainingBatch {
    private final int capacity;
    private final int kNeg;
    private final long[] users;
    private final long[] positives;
    private final int[] negatives;
    private final int historyLength;
    private final int[] historyItems;
    private final int[] historyCounts;
    private final boolean windows;
    private int size;

    /** A batch without histories (the seed model's user tower reads only the user id). */
    public TrainingBatch(int capacity, int kNeg) {
        this(capacity, kNeg, 0);
    }

    public TrainingBatch(int capacity, int kNeg, int historyLength) {
        this(capacity, kNeg, historyLength, false);
    }

    /**
     * {@code windows}: each row is a sequence window for every-position training (model: sequence in {@code train}):
     * its history's slots predict the next history item and the last one the positive.
     */
    public TrainingBatch(int capacity, int kNeg, int historyLength, boolean windows) {
        this.windows = windows;
        this.capacity = capacity;
        this.kNeg = kNeg;
        this.users = new long[capacity];
        this.positives = new long[capacity];
        this.negatives = new int[capacity * kNeg];
        this.historyLength = historyLength;
        this.historyItems = new int[capacity * historyLength];
        this.historyCounts = new int[capacity];
    }

    /** Appends one example; {@code negatives} holds at least {@code kNeg} ids from {@code offset}. */
    public void add(int user, int positive, int[] negatives, int offset) {
        add(user, positive, negatives, offset, null, 0);
    }

    /**
     * Appends one example with the user's history before it ({@code history[0..historyCount)}, oldest
     * first); only its last historyLength items are kept.
     */
    public void add(int user, int positive, int[] negatives, int offset, int[] history, int historyCount) {
        if (size == capacity) {
            throw new IllegalStateException("batch is full (" + capacity + ")");
        }
        users[size] = user;
        positives[size] = positive;
        System.arraycopy(negatives, offset, this.negatives, size * kNeg, kNeg);
        int take = Math.min(historyCount, historyLength);
        if (take > 0) {
            System.arraycopy(history, historyCount - take, historyItems, size * historyLength, take);
        }
        historyCounts[size] = take;
        size++;
    }

    public void clear() {
        size = 0;
    }

    public boolean isFull() {
        return size == capacity;
    }

    public boolean isEmpty() {
        return size == 0;
    }

    public int size() {
        return size;
    }

    public int capacity() {
        return capacity;
    }

    public int kNeg() {
        return kNeg;
    }

    public long[] users() {
        return users;
    }

    public long[] positives() {
        return positives;
    }

    public int[] negatives() {
        return negatives;
    }

    public int historyLength() {
        return historyLength;
    }

    /** Whether rows are sequence windows trained at every position (see the constructor). */
    public boolean windows() {
        return windows;
    }

    public int[] historyItems() {
        return historyItems;
    }

    public int[] historyCounts() {
        return historyCounts;
    }

    public int user(int i) {
        return (int) users[i];
    }

    public int positive(int i) {
        return (int) positives[i];
    }
}
