package io.twotower.connectors.source;

import java.util.Arrays;

/**
 * One epoch's order over several files, independent of how the files are spread over readers: the groundwork for
 * parallel readers with a deterministic order (issue 14; not wired into the source yet). The files' rows are merged
 * proportionally: row i of file f (of n_f rows) gets the key (2i+1) / (2 n_f), the middle of its share of the epoch,
 * and the epoch position of a row is its rank by key (ties by file index). Each file's rows keep their own order
 * and are spread evenly over the epoch, so readers that each emit their files in position order advance together,
 * and a trainer that releases rows strictly by position needs only a bounded window of them.
 *
 * <p>The rank is computed per row in O(files) with integer arithmetic: for another file g, the rows j with
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
