package io.twotower.job.prepare;

/**
 * Which of each user's last interactions {@code prepare} holds out ({@code --holdout}): the last one for
 * validation ({@link #VAL}, the notebook's protocol), or the last for test and the one before it for validation
 * ({@link #VAL_TEST}, SASRec's protocol: a model is selected on validation and reported on test).
 */
public enum Holdout {
    VAL("val"),
    VAL_TEST("val+test");

    private final String optionValue;

    Holdout(String optionValue) {
        this.optionValue = optionValue;
    }

    /** How many of a user's last interactions are held out. */
    public int heldOut() {
        return this == VAL_TEST ? 2 : 1;
    }

    /** The end (exclusive) of the training items of a user with {@code n} interactions. */
    public int trainEnd(int n) {
        return Math.max(0, n - heldOut());
    }

    /** The position of the validation item among {@code n} interactions, or -1 when there is none. */
    public int validationAt(int n) {
        return n - heldOut() >= 0 ? n - heldOut() : -1;
    }

    /** The position of the test item among {@code n} interactions, or -1 (no test split, or no interaction). */
    public int testAt(int n) {
        return this == VAL_TEST && n > 0 ? n - 1 : -1;
    }

    public String optionValue() {
        return optionValue;
    }

    public static Holdout parse(String value) {
        for (Holdout h : values()) {
            if (h.optionValue.equals(value)) {
                return h;
            }
        }
        throw new IllegalArgumentException("--holdout must be val or val+test, got '" + value + "'");
    }
}
