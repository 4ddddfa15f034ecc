package io.twotower.job.prepare;

/** One implicit interaction from a raw log (a Flink POJO: public fields, no-arg constructor). */
public class Interaction {
    public String user;
    public String item;
    public long timestamp;

    public Interaction() {}

    public Interaction(String user, String item, long timestamp) {
        this.user = user;
        this.item = item;
        this.timestamp = timestamp;
    }
}
