package io.twotower.connectors.kafka;

/** One interaction event: raw user and item ids (strings) and its time in epoch milliseconds. */
public class InteractionEvent {
    public String user;
    public String item;
    public long timestamp;

    public InteractionEvent() {}

    public InteractionEvent(String user, String item, long timestamp) {
        this.user = user;
        this.item = item;
        this.timestamp = timestamp;
    }
}
