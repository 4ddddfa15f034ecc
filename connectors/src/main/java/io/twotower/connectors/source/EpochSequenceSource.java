package io.twotower.connectors.source;

import org.apache.flink.api.connector.source.Boundedness;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.api.connector.source.SourceReader;
import org.apache.flink.api.connector.source.SourceReaderContext;
import org.apache.flink.api.connector.source.SplitEnumerator;
import org.apache.flink.api.connector.source.SplitEnumeratorContext;
import org.apache.flink.core.io.SimpleVersionedSerializer;

import java.util.ArrayList;
import java.util.List;

import static org.apache.flink.util.Preconditions.checkArgument;
import static org.apache.flink.util.Preconditions.checkNotNull;

/**
 * A bounded source that reads the training files (the notebook's sequence files or the compact layout's parts,
 * {@link TrainingLayout}) once per epoch, shuffled per epoch, with a watermark equal to the epoch number at each epoch's end. The next epoch starts only
 * when an {@link EpochDecisionEvent} allows it (see {@link EpochSplitEnumerator}).
 */
public final class EpochSequenceSource implements Source<SequenceRow, SequenceSplit, EpochEnumeratorState> {
    private static final long serialVersionUID = 1L;
    /** The default read-ahead of parallel readers (train takes its read_ahead setting). */
    static final long DEFAULT_READ_AHEAD = 16_384;

    private final List<String> files;
    private final int numUsers;
    private final int numItems;
    private final int epochs;
    private final long seed;
    private final int windowLength;
    private final int windowsPerUser;
    private final TrainingLayout layout;
    /** Each file's rows an epoch (parallel readers number the epoch by them), or null. */
    private final long[] rowsPerFile;
    /** How far (in epoch positions) a parallel reader may run ahead of the trainer's progress; 0: unbounded. */
    private final long readAhead;

    EpochSequenceSource(List<String> files, int numUsers, int numItems, int epochs, long seed, int windowLength,
            int windowsPerUser, TrainingLayout layout, long[] rowsPerFile, long readAhead) {
        this.layout = layout;
        this.rowsPerFile = rowsPerFile;
        this.readAhead = readAhead;
        this.windowsPerUser = windowsPerUser;
        this.files = files;
        this.numUsers = numUsers;
        this.numItems = numItems;
        this.epochs = epochs;
        this.seed = seed;
        this.windowLength = windowLength;
    }

    public static Builder builder() {
        return new Builder();
    }

    @Override
    public Boundedness getBoundedness() {
        return Boundedness.BOUNDED;
    }

    @Override
    public SourceReader<SequenceRow, SequenceSplit> createReader(SourceReaderContext readerContext) {
        return new EpochSequenceReader(numUsers, numItems, seed, windowLength, windowsPerUser, layout, readAhead);
    }

    @Override
    public SplitEnumerator<SequenceSplit, EpochEnumeratorState> createEnumerator(
            SplitEnumeratorContext<SequenceSplit> enumContext) {
        return new EpochSplitEnumerator(enumContext, files, layout.readsFilesTogether(), epochs,
                rowsPerFile, new EpochEnumeratorState(-1, false));
    }

    @Override
    public SplitEnumerator<SequenceSplit, EpochEnumeratorState> restoreEnumerator(
            SplitEnumeratorContext<SequenceSplit> enumContext, EpochEnumeratorState checkpoint) {
        return new EpochSplitEnumerator(enumContext, files, layout.readsFilesTogether(), epochs, rowsPerFile,
                checkpoint);
    }

    @Override
    public SimpleVersionedSerializer<SequenceSplit> getSplitSerializer() {
        return new SequenceSplitSerializer();
    }

    @Override
    public SimpleVersionedSerializer<EpochEnumeratorState> getEnumeratorCheckpointSerializer() {
        return new EpochEnumeratorState.Serializer();
    }

    /** Builds an {@link EpochSequenceSource}. */
    public static final class Builder {
        private final List<String> files = new ArrayList<>();
        private int numUsers = -1;
        private int numItems = -1;
        private int epochs = -1;
        private long seed;
        private int windowLength;
        private int windowsPerUser;
        private TrainingLayout layout = TrainingLayout.notebook();
        private long[] rowsPerFile;
        private long readAhead = DEFAULT_READ_AHEAD;

        /** The files' layout: the notebook's (default) or the compact user sequences. */
        public Builder setLayout(TrainingLayout layout) {
            this.layout = checkNotNull(layout);
            return this;
        }

        /**
         * Each file's rows an epoch (as {@link TrainingLayout#rowsPerEpoch} counts them, in {@link #setFiles} order):
         * required to run the compact layout's source with more than one reader, whose rows are numbered over the
         * readers' shares ({@link EpochPositions}).
         */
        public Builder setRowsPerFile(long[] rows) {
            this.rowsPerFile = rows.clone();
            return this;
        }

        /**
         * With parallel readers: how many epoch positions a reader may emit beyond the trainer's last
         * {@link TrainerProgressEvent} (default {@value #DEFAULT_READ_AHEAD}); 0 lets them run freely, for a
         * consumer that sends no progress (and buffers whatever comes early).
         */
        public Builder setReadAhead(long rows) {
            checkArgument(rows >= 0, "The read-ahead must be >= 0 rows (0: unbounded), got %s.", rows);
            this.readAhead = rows;
            return this;
        }

        public Builder setFiles(List<String> paths) {
            files.addAll(paths);
            return this;
        }

        /** The id maps' sizes: every index read is checked against them. */
        public Builder setCatalog(int users, int items) {
            this.numUsers = users;
            this.numItems = items;
            return this;
        }

        public Builder setEpochs(int epochs) {
            this.epochs = epochs;
            return this;
        }

        public Builder setSeed(long seed) {
            this.seed = seed;
            return this;
        }

        /**
         * Emits, per epoch, only the rows whose windows of at most {@code maxLength} targets tile each user's
         * sequence (see {@link SequenceWindows}), for a model that predicts every position of a row's history;
         * 0 (the default) emits every row.
         */
        public Builder setSequenceWindows(int maxLength) {
            this.windowLength = maxLength;
            return this;
        }

        /** As {@link #setSequenceWindows(int)}, emitting only each user's {@code latestPerUser} latest windows (0: all). */
        public Builder setSequenceWindows(int maxLength, int latestPerUser) {
            checkArgument(latestPerUser >= 0, "The windows per user must be >= 0 (0: all), got %s.", latestPerUser);
            this.windowLength = maxLength;
            this.windowsPerUser = latestPerUser;
            return this;
        }

        public EpochSequenceSource build() {
            checkNotNull(files);
            checkArgument(!files.isEmpty(), "No training files given; set them with setFiles(...).");
            checkArgument(numUsers > 0 && numItems > 0,
                    "The catalog sizes are required but not provided; set them with setCatalog(users, items).");
            checkArgument(epochs > 0, "The number of epochs must be > 0, got %s.", epochs);
            checkArgument(windowLength >= 0, "The sequence windows' length must be >= 0 (0: every row), got %s.",
                    windowLength);
            checkArgument(rowsPerFile == null || rowsPerFile.length == files.size(),
                    "%s row counts for %s files.", rowsPerFile == null ? 0 : rowsPerFile.length, files.size());
            return new EpochSequenceSource(new ArrayList<>(files), numUsers, numItems, epochs, seed, windowLength,
                    windowsPerUser, layout, rowsPerFile, readAhead);
        }
    }
}
