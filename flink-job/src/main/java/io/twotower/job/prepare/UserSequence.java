package io.twotower.job.prepare;

/** One user's interactions as dense item indices in the protocol's order (a Flink POJO). */
public class UserSequence {
    public int user;
    public int[] items;

    public UserSequence() {}

    public UserSequence(int user, int[] items) {
        this.user = user;
        this.items = items;
    }

    /** Sorts by user index. */
    public static final class ByUser implements org.apache.flink.api.java.functions.KeySelector<UserSequence, Integer> {
        private static final long serialVersionUID = 1L;

        @Override
        public Integer getKey(UserSequence s) {
            return s.user;
        }
    }
}
