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
