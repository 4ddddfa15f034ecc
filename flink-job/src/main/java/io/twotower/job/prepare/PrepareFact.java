package io.twotower.job.prepare;

/**
 * One figure a {@code prepare} operator reports to {@link PrepareSummaryWriter} (a Flink POJO): a count of users,
 * items or rows, a part file's users and interactions, or a baseline's hits over its held-out rows.
 */
public class PrepareFact {
    public static final String USERS = "users";
    public static final String ITEMS = "items";
    public static final String TRAIN_ROWS = "train_rows";
    public static final String VAL_ROWS = "val_rows";
    public static final String TEST_ROWS = "test_rows";
    public static final String PART = "part";
    public static final String BASELINE = "baseline";

    public String kind;
    /** A baseline's split ({@code held_out_interactions} or {@code test_interactions}) and name. */
    public String split = "";
    public String name = "";
    public int part;
    /** The count; a part's users; a baseline's hits. */
    public long value;
    /** A part's interactions; a baseline's held-out rows. */
    public long total;

    public PrepareFact() {}

    static PrepareFact count(String kind, long value) {
        PrepareFact f = new PrepareFact();
        f.kind = kind;
        f.value = value;
        return f;
    }

    static PrepareFact part(int part, long users, long interactions) {
        PrepareFact f = count(PART, users);
        f.part = part;
        f.total = interactions;
        return f;
    }

    static PrepareFact baseline(String split, String name, long hits, long rows) {
        PrepareFact f = count(BASELINE, hits);
        f.split = split;
        f.name = name;
        f.total = rows;
        return f;
    }
}
