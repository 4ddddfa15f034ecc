package io.twotower.connectors.source;

import java.io.Closeable;
import java.io.IOException;

/**
 * One split's training rows in the order an epoch reads them (a function of the seed, the epoch and the split), so a
 * restored reader reaches the same row again by skipping the rows it had emitted.
 */
public interface SplitRows extends Closeable {
    /** Sets {@code out}'s user, positive, history and row id to the next row; false after the last. */
    boolean next(SequenceRow out) throws IOException;

    /** Skips {@code rows} rows (a restored split continues after the rows emitted before the failure). */
    default void skip(long rows) throws IOException {
        SequenceRow scratch = new SequenceRow();
        for (long i = 0; i < rows; i++) {
            if (!next(scratch)) {
                throw new IOException("the split has fewer than the " + rows + " rows its checkpoint says were read");
            }
        }
    }
}
