package io.twotower.job.online;

/** An event ready for the trainer: raw ids, event time, and the user's earlier items (oldest first). */
public class OnlineExample {
    public String user;
    public String item;
    public long timestamp;
    public String[] history;

    public OnlineExample() {}

    public OnlineExample(String user, String item, long timestamp, String[] history) {
        this.user = user;
        this.item = item;
        this.timestamp = timestamp;
        this.history = history;
    }
}
