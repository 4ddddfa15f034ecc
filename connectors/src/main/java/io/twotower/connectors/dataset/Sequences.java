package io.twotower.connectors.dataset;

import java.util.Arrays;

/**
 * Rows of (user, positive item, history) in columnar primitive arrays: row r's history is
 * historyItems[historyOffsets[r] .. historyOffsets[r + 1]), oldest first.
 */
public final class Sequences {
    private int size;
    private int[] users;
    private int[] positives;
    private int[] historyOffsets;
    private int[] historyItems;

    public Sequences(int expectedRows) {
        int cap = Math.max(1, expectedRows);
        users = new int[cap];
        positives = new int[cap];
        historyOffsets = new int[cap + 1];
        historyItems = new int[cap * 8];
    }

    public void add(int user, int positive, int[] history, int from, int to) {
        if (size == users.length) {
            int cap = users.length * 2;
            users = Arrays.copyOf(users, cap);
            positives = Arrays.copyOf(positives, cap);
            historyOffsets = Arrays.copyOf(historyOffsets, cap + 1);
        }
        int start = historyOffsets[size];
        int len = to - from;
        if (start + len > historyItems.length) {
            historyItems = Arrays.copyOf(historyItems, Math.max(historyItems.length * 2, start + len));
        }
        System.arraycopy(history, from, historyItems, start, len);
        users[size] = user;
        positives[size] = positive;
        historyOffsets[size + 1] = start + len;
        size++;
    }

    public int size() {
        return size;
    }

    public int user(int row) {
        return users[row];
    }

    public int positive(int row) {
        return positives[row];
    }

    public int historyLength(int row) {
        return historyOffsets[row + 1] - historyOffsets[row];
    }

    public int[] history(int row) {
        return Arrays.copyOfRange(historyItems, historyOffsets[row], historyOffsets[row + 1]);
    }

    /** Item {@code i} (0 = oldest) of row's history. */
    public int historyItem(int row, int i) {
        return historyItems[historyOffsets[row] + i];
    }

    /** Copies row's history into {@code out} (large enough) and returns its length. */
    public int copyHistory(int row, int[] out) {
        int len = historyLength(row);
        System.arraycopy(historyItems, historyOffsets[row], out, 0, len);
        return len;
    }

    public int[] users() {
        return Arrays.copyOf(users, size);
    }

    public int[] positives() {
        return Arrays.copyOf(positives, size);
    }

    /** Each row's history as a space-separated string, or null when empty (the notebook's format). */
    public String historyText(int row) {
        int len = historyLength(row);
        if (len == 0) {
            return null;
        }
        StringBuilder sb = new StringBuilder(len * 5);
        for (int i = historyOffsets[row]; i < historyOffsets[row + 1]; i++) {
            if (sb.length() > 0) {
                sb.append(' ');
            }
            sb.append(historyItems[i]);
        }
        return sb.toString();
    }
}
