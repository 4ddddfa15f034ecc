package io.twotower.connectors.source;

import java.util.Arrays;

/**
 * One epoch's order over several readers' shares (a reader's share: its files of the epoch, read as one pool), so
 * that parallel readers number one epoch together without talking to each other (merged splits, {@link
 * EpochSequenceReader}). The shares' rows are merged proportionally: row i of share f (of n_f rows) gets the key
 * (2i+1) / (2 n_f), the middle of its slice of the epoch, and the epoch position of a row is its rank by key (ties by
 * share index). Each share's rows keep their own order and are spread evenly over the epoch, so readers that each
 * emit their share in position order advance together, and a trainer that releases rows strictly by position needs
 * only a bounded window of them.
 *
 * <p>The rank is computed per row in O(shares) with integer arithmetic: for another share g, the rows j with
 * (2j+1) n_f &lt; (2i+1) n_g come before, and the one with equality too when g &lt; f.
 */
final class EpochPositions {
    private final long[] rows;
    private final long total;

    EpochPositions(long[] rowsPerFile) {
        long sum = 0;
        for (long n : rowsPerFile) {
            if (n < 0) {
                throw new IllegalArgumentException("row counts must be >= 0: " + Arrays.toString(rowsPerFile));
            }
            if (n > 1_000_000_000L) {
                // (2i+1) * n_g must fit a long.
                throw new IllegalArgumentException("at most 10^9 rows a file, got " + n);
            }
            sum += n;
        }
        this.rows = rowsPerFile.clone();
        this.total = sum;
    }

    long total() {
        return total;
    }

    /** The epoch position of row {@code i} (0-based, in the file's own order) of file {@code f}. */
    long position(int f, long i) {
        long nf = rows[f];
        if (i < 0 || i >= nf) {
            throw new IndexOutOfBoundsException("row " + i + " of file " + f + " (" + nf + " rows)");
        }
        long position = i;
        long odd = 2 * i + 1;
        for (int g = 0; g < rows.length; g++) {
            long ng = rows[g];
            if (g == f || ng == 0) {
                continue;
            }
            long q = odd * ng;
            // Odd x = 2j+1 with x * nf < q: x <= floor((q - 1) / nf), so (floor((q - 1) / nf) + 1) / 2 of them.
            long before = ((q - 1) / nf + 1) / 2;
            if (g < f && q % nf == 0 && (q / nf) % 2 == 1) {
                before++;
            }
            position += Math.min(ng, before);
        }
        return position;
    }
}
