package io.twotower.connectors.dataset;

import org.apache.flink.core.fs.Path;

/**
 * The prepared-data layout: the file names inside a data folder, and their columns. The training data is either the
 * notebook's {@code sequences_train.parquet} (one row per training example, its history as text) or the compact
 * {@code user_sequences/} parts (one row per user, see {@link UserSequenceFiles}) described by {@code dataset.json}.
 */
public final class DatasetLayout {
    public static final String TRAIN = "sequences_train.parquet";
    public static final String VALIDATION = "sequences_val.parquet";
    /** Written only by {@code prepare --holdout val+test}. */
    public static final String TEST = "sequences_test.parquet";
    public static final String ITEM_MAP = "item_id_map.parquet";
    public static final String USER_MAP = "customer_id_map.parquet";
    public static final String BASELINES = "baseline_results.json";
    /** The compact layout's training parts ({@code prepare --layout user-sequences}). */
    public static final String USER_SEQUENCES = "user_sequences";
    /** Describes the compact layout: its parts, their row counts, the history cap the rows are expanded with. */
    public static final String MANIFEST = "dataset.json";

    public static final String USER_COLUMN = "user_idx";
    public static final String POSITIVE_COLUMN = "pos_item_idx";
    public static final String HISTORY_COLUMN = "history_idx";
    public static final String ITEM_ID_COLUMN = "item_id";
    public static final String ITEM_IDX_COLUMN = "item_idx";
    public static final String USER_ID_COLUMN = "customer_id";
    public static final String USER_IDX_COLUMN = "user_idx";
    /** A user's training items, oldest first, in a part of the compact layout. */
    public static final String SEQUENCE_ITEMS_COLUMN = "item_idx";

    private final Path root;

    public DatasetLayout(Path root) {
        this.root = root;
    }

    public Path root() {
        return root;
    }

    public Path train() {
        return new Path(root, TRAIN);
    }

    public Path validation() {
        return new Path(root, VALIDATION);
    }

    public Path test() {
        return new Path(root, TEST);
    }

    public Path itemMap() {
        return new Path(root, ITEM_MAP);
    }

    public Path userMap() {
        return new Path(root, USER_MAP);
    }

    public Path userSequences() {
        return new Path(root, USER_SEQUENCES);
    }

    public Path manifest() {
        return new Path(root, MANIFEST);
    }

    public Path baselines() {
        return new Path(root, BASELINES);
    }
}
