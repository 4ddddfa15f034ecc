package io.twotower.job.prepare;

/**
 * The training data {@code prepare} writes ({@code --layout}): the notebook's {@code sequences_train.parquet} (one
 * row per training example with its history as text), or the compact {@code user_sequences/} parts (one row per user
 * with the time-ordered item list, split by a hash of the user over {@code --parts} files; {@code train} expands the
 * rows as it reads them). Validation and test files are the notebook's in both.
 */
public enum TrainingDataLayout {
    NOTEBOOK("notebook"),
    USER_SEQUENCES("user-sequences");

    private final String optionValue;

    TrainingDataLayout(String optionValue) {
        this.optionValue = optionValue;
    }

    public String optionValue() {
        return optionValue;
    }

    public static TrainingDataLayout parse(String value) {
        for (TrainingDataLayout l : values()) {
            if (l.optionValue.equals(value)) {
                return l;
            }
        }
        throw new IllegalArgumentException("--layout must be notebook or user-sequences, got '" + value + "'");
    }
}
