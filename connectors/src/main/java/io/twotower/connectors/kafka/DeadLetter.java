package io.twotower.connectors.kafka;

/** A record that could not be used, with the reason; published to the dead-letter topic as JSON. */
public class DeadLetter {
    public String reason;
    public String value;
    public String source;

    public DeadLetter() {}

    public DeadLetter(String reason, String value, String source) {
        this.reason = reason;
        this.value = value;
        this.source = source;
    }
}
