package io.twotower.connectors.dataset;

import org.apache.flink.core.fs.Path;

/** The notebook's prepared-data layout: the file names inside a data folder, and their columns. */
public final class DatasetLayout {
    public static final String TRAIN = "sequences_train.parquet";
    public static final String VALIDATION = "sequences_val.parquet";
    /** Written only by {@code prepare --holdout val+test}. */
    public static final String TEST = "sequences_test.parquet";
    public static final String ITEM_MAP = "item_id_map.parquet";
    public static final String USER_MAP = "customer_id_map.parquet";
    public static final String BASELINES = "baseline_results.json";

    public static final String USER_COLUMN = "user_idx";
    public static final String POSITIVE_COLUMN = "pos_item_idx";
    public static final String HISTORY_COLUMN = "history_idx";
    public static final String ITEM_ID_COLUMN = "item_id";
    public static final String ITEM_IDX_COLUMN = "item_idx";
    public static final String USER_ID_COLUMN = "customer_id";
    public static final String USER_IDX_COLUMN = "user_idx";

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

    public Path baselines() {
        return new Path(root, BASELINES);
    }
}
