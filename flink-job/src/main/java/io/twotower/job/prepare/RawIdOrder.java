package io.twotower.job.prepare;

import java.util.Comparator;

/**
 * The order of raw ids: integer ids numerically (so MovieLens' 2 comes before 10), before any
 * non-integer id; non-integer ids lexicographically. A total order, so dense indices are reproducible.
 */
public final class RawIdOrder implements Comparator<String>, java.io.Serializable {
    public static final RawIdOrder INSTANCE = new RawIdOrder();
    private static final long serialVersionUID = 1L;

    private RawIdOrder() {}

    @Override
    public int compare(String a, String b) {
        Long x = asLong(a);
        Long y = asLong(b);
        if (x != null && y != null) {
            int c = Long.compare(x, y);
            return c != 0 ? c : a.compareTo(b);
        }
        if (x != null) {
            return -1;
        }
        if (y != null) {
            return 1;
        }
        return a.compareTo(b);
    }

    static Long asLong(String s) {
        int n = s.length();
        if (n == 0 || n > 18) {
            return null;
        }
        int i = s.charAt(0) == '-' ? 1 : 0;
        if (i == n) {
            return null;
        }
        for (int j = i; j < n; j++) {
            char c = s.charAt(j);
            if (c < '0' || c > '9') {
                return null;
            }
        }
        return Long.parseLong(s);
    }
}
