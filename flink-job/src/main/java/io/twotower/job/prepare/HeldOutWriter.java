package io.twotower.job.prepare;

import io.twotower.connectors.dataset.SequenceFiles;
import org.apache.flink.core.fs.Path;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.BoundedOneInput;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;

/**
 * Writes the notebook's row files from users' sequences sorted by user, row by row: the held-out files
 * (validation, and test with {@link Holdout#VAL_TEST}) or, in the notebook layout, the training file (one row per
 * training item with the {@code maxHistory} items before it). Runs at parallelism 1, as each is one file.
 */
public final class HeldOutWriter extends AbstractStreamOperator<PrepareFact>
        implements OneInputStreamOperator<UserSequence, PrepareFact>, BoundedOneInput {
    private static final long serialVersionUID = 1L;

    /** What a writer writes. */
    public enum Rows { HELD_OUT, TRAINING }

    private final Rows rows;
    private final String first;
    /** The test file, or null. */
    private final String second;
    private final Holdout holdout;
    private final int maxHistory;
    private transient SequenceFiles.Writer firstWriter;
    private transient SequenceFiles.Writer secondWriter;
    private transient int lastUser;

    /** The validation file and (with {@link Holdout#VAL_TEST}) the test file. */
    public static HeldOutWriter heldOut(Path validation, Path test, Holdout holdout, int maxHistory) {
        return new HeldOutWriter(Rows.HELD_OUT, validation.toString(),
                holdout == Holdout.VAL_TEST ? test.toString() : null, holdout, maxHistory);
    }

    /** The notebook layout's training file. */
    public static HeldOutWriter training(Path train, Holdout holdout, int maxHistory) {
        return new HeldOutWriter(Rows.TRAINING, train.toString(), null, holdout, maxHistory);
    }

    private HeldOutWriter(Rows rows, String first, String second, Holdout holdout, int maxHistory) {
        this.rows = rows;
        this.first = first;
        this.second = second;
        this.holdout = holdout;
        this.maxHistory = maxHistory;
    }

    /**
     * The part of a sequence the held-out rows need: its last {@code maxHistory} + held-out items (positions
     * counted from the end give the same rows), so the single writer gets a bounded share of each user.
     */
    public static UserSequence heldOutTail(UserSequence s, Holdout holdout, int maxHistory) {
        int keep = maxHistory + holdout.heldOut();
        return s.items.length <= keep ? s
                : new UserSequence(s.user, java.util.Arrays.copyOfRange(s.items, s.items.length - keep, s.items.length));
    }

    @Override
    public void open() throws Exception {
        super.open();
        firstWriter = new SequenceFiles.Writer(new Path(first));
        secondWriter = second == null ? null : new SequenceFiles.Writer(new Path(second));
        lastUser = -1;
    }

    @Override
    public void processElement(StreamRecord<UserSequence> element) throws Exception {
        UserSequence s = element.getValue();
        if (s.user <= lastUser) {
            // The sort upstream guarantees this; the files' row order is part of the prepared data.
            throw new IllegalStateException(first + ": users out of order: " + s.user + " after " + lastUser);
        }
        lastUser = s.user;
        int[] items = s.items;
        if (rows == Rows.TRAINING) {
            for (int t = 0; t < holdout.trainEnd(items.length); t++) {
                firstWriter.add(s.user, items[t], items, Math.max(0, t - maxHistory), t);
            }
            return;
        }
        int v = holdout.validationAt(items.length);
        if (v >= 0) {
            firstWriter.add(s.user, items[v], items, Math.max(0, v - maxHistory), v);
        }
        int t = holdout.testAt(items.length);
        if (secondWriter != null && t >= 0) {
            secondWriter.add(s.user, items[t], items, Math.max(0, t - maxHistory), t);
        }
    }

    @Override
    public void endInput() throws Exception {
        firstWriter.close();
        long firstRows = firstWriter.rows();
        firstWriter = null;
        LOG.info("Wrote {}: {} rows", first, firstRows);
        output.collect(new StreamRecord<>(PrepareFact.count(
                rows == Rows.TRAINING ? PrepareFact.TRAIN_ROWS : PrepareFact.VAL_ROWS, firstRows)));
        if (secondWriter != null) {
            secondWriter.close();
            output.collect(new StreamRecord<>(PrepareFact.count(PrepareFact.TEST_ROWS, secondWriter.rows())));
            secondWriter = null;
        }
    }

    @Override
    public void close() throws Exception {
        if (firstWriter != null) {
            firstWriter.close();
        }
        if (secondWriter != null) {
            secondWriter.close();
        }
        super.close();
    }
}
