package io.twotower.job.prepare;

import io.twotower.common.SplitMix64;

import java.nio.charset.StandardCharsets;
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

    /*
     * A user's interactions are sorted by (time, primary, secondary, file, row): time always comes first, the
     * input position last, so the order is total and reproducible. Item indices are dense indices in raw-id order,
     * so ordering by index is ordering by raw item id.
     */

    /** The first tie-break field of an interaction: the hash as an unsigned value (HASH), the item (ITEM), or 0. */
    public long primary(long seed, String user, String item, int itemIndex) {
        switch (this) {
            case INPUT:
                return 0;
            case HASH:
                // Flipping the sign bit makes the signed order of the field the unsigned order of the hash.
                return hash(seed, user, item) ^ Long.MIN_VALUE;
            case ITEM:
                return itemIndex;
            default:
                throw new IllegalStateException(name());
        }
    }

    /** The second field: with HASH, equal hashes (the same item twice at one time, or a collision) by item. */
    public long secondary(int itemIndex) {
        return this == HASH ? itemIndex : 0;
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
