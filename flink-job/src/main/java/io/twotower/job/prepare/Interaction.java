package io.twotower.job.prepare;

/**
 * One implicit interaction from a raw log (a Flink POJO: public fields, no-arg constructor), with its position
 * in the input (the file's index in the sorted input list, the line or row in that file): files are read in
 * parallel and a batch job's keyed shuffle does not keep arrival order, so the input order travels with the row.
 */
public class Interaction {
    public String user;
    public String item;
    public long timestamp;
    public int file;
    public long row;

    public Interaction() {}

    public Interaction(String user, String item, long timestamp, int file, long row) {
        this.user = user;
        this.item = item;
        this.timestamp = timestamp;
        this.file = file;
        this.row = row;
    }
}
