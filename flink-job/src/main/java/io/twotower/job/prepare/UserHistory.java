package io.twotower.job.prepare;

/** One user's interactions in the protocol's order (time, then the {@link TieBreak}), as raw item ids. */
public class UserHistory {
    public String user;
    public String[] items;

    public UserHistory() {}

    public UserHistory(String user, String[] items) {
        this.user = user;
        this.items = items;
    }
}
