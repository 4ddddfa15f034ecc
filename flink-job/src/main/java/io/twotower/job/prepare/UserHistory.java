package io.twotower.job.prepare;

/** One user's interactions in (time, item id) order, as raw item ids. */
public class UserHistory {
    public String user;
    public String[] items;

    public UserHistory() {}

    public UserHistory(String user, String[] items) {
        this.user = user;
        this.items = items;
    }
}
