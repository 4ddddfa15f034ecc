package io.twotower.job.prepare;

import io.twotower.common.SplitMix64;

import java.nio.charset.StandardCharsets;
import java.util.Comparator;
import java.util.Locale;

/**
 * How {@code prepare} orders a user's interactions that share a timestamp ({@code --tie-break}). Time always
 * comes first; a tie is broken by the order the input gives ({@link #INPUT}: file, then row), by a seeded hash of
 * (user, item) ({@link #HASH}), or by raw item id ({@link #ITEM}, the order before the option existed).
 *
 * <p>Why it matters: the held-out item is the last of the user's sequence, and on MovieLens 15% of them share
 * their second with the item before. Ordering ties by item id puts the highest id (on MovieLens: the movie added
 * to the catalog last) at the end, a regularity a sequence model can learn instead of user behaviour. The hash
 * leaks nothing about the items and is reproducible; the input order is only as good as the file's own order
 * (MovieLens' ratings.csv is sorted by user, then movie: there it is {@link #ITEM} again).
 */
public enum TieBreak {
    INPUT,
    HASH,
    ITEM;

    /** The default: the one order that carries no information about the items, whatever the input's sort. */
    public static final TieBreak DEFAULT = HASH;

    /** The option's value ({@code input}, {@code hash}, {@code item}). */
    public String optionValue() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static TieBreak parse(String value) {
        for (TieBreak t : values()) {
            if (t.optionValue().equals(value)) {
                return t;
            }
        }
        throw new IllegalArgumentException("--tie-break must be input, hash or item, got '" + value + "'");
    }

    /** The full order of one user's interactions: time, then this tie-break (then a total order of the rest). */
    public Comparator<Interaction> order(long seed) {
        Comparator<Interaction> byTime = Comparator.comparingLong(i -> i.timestamp);
        Comparator<Interaction> byItem = Comparator.comparing(i -> i.item, RawIdOrder.INSTANCE);
        Comparator<Interaction> byPosition = Comparator.<Interaction>comparingInt(i -> i.file).thenComparingLong(i -> i.row);
        switch (this) {
            case INPUT:
                return byTime.thenComparing(byPosition);
            case HASH:
                // Equal hashes (the same item twice at one time, or a collision): item id, then input position,
                // so the order stays total and reproducible.
                return byTime.thenComparing((a, b) -> Long.compareUnsigned(hash(seed, a.user, a.item),
                                hash(seed, b.user, b.item)))
                        .thenComparing(byItem).thenComparing(byPosition);
            case ITEM:
                return byTime.thenComparing(byItem);
            default:
                throw new IllegalStateException(name());
        }
    }

    /**
     * A seeded hash of (user, item), independent of the ids' order and of the input's row order; {@link #HASH}
     * orders tied interactions by it, as unsigned values.
     */
    public static long hash(long seed, String user, String item) {
        return SplitMix64.mix(seed, fnv1a(user), fnv1a(item));
    }

    private static long fnv1a(String s) {
        long h = 0xcbf29ce484222325L;
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            h = (h ^ (b & 0xff)) * 0x100000001b3L;
        }
        return h;
    }
}
