package io.twotower.connectors.source;

import java.io.Closeable;
import java.io.IOException;

/**
 * One split's training rows in the order an epoch reads them (a function of the seed, the epoch and the split), so a
 * restored reader reaches the same row again by skipping the rows it had emitted.
 */
public interface SplitRows extends Closeable {
    /**
     * Sets {@code out} to the next record: a row (user, positive, history or t, row id) or a user-sequence record
     * ({@link SequenceRow#isUserSequence}); false after the last.
     */
    boolean next(SequenceRow out) throws IOException;

    /**
     * Skips {@code rows} rows and the user-sequence records among them (a restored split continues after the rows
     * emitted before the failure; the sequences it skips were sent then, and are in the keyed state restored with it).
     */
    default void skip(long rows) throws IOException {
        SequenceRow scratch = new SequenceRow();
        for (long i = 0; i < rows; ) {
            scratch.sequence = null;
            if (!next(scratch)) {
                throw new IOException("the split has fewer than the " + rows + " rows its checkpoint says were read");
            }
            if (!scratch.isUserSequence()) {
                i++;
            }
        }
    }
}
