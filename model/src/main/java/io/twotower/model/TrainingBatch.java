package io.twotower.model;

/**
 * One mini-batch as flat primitive arrays: users[b], positives[b] and negatives[b * kNeg + j]. Reused
 * between batches so the hot path allocates nothing per example.
 */
public final class TrainingBatch {
    private final int capacity;
    private final int kNeg;
    private final long[] users;
    private final long[] positives;
    private final int[] negatives;
    private int size;

    public TrainingBatch(int capacity, int kNeg) {
        this.capacity = capacity;
        this.kNeg = kNeg;
        this.users = new long[capacity];
        this.positives = new long[capacity];
        this.negatives = new int[capacity * kNeg];
    }

    /** Appends one example; {@code negatives} holds at least {@code kNeg} ids from {@code offset}. */
    public void add(int user, int positive, int[] negatives, int offset) {
        if (size == capacity) {
            throw new IllegalStateException("batch is full (" + capacity + ")");
        }
        users[size] = user;
        positives[size] = positive;
        System.arraycopy(negatives, offset, this.negatives, size * kNeg, kNeg);
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

    public int user(int i) {
        return (int) users[i];
    }

    public int positive(int i) {
        return (int) positives[i];
    }
}
