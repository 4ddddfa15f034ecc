package io.twotower.job.prepare;

/**
 * Training interactions per dense item index, from one subtask (a Flink POJO); {@link #catalogSize} is set by the
 * item id assigner alone, so items no training row has still get their place (last) in the popularity order.
 */
public class ItemCounts {
    public int catalogSize;
    public int[] counts;

    public ItemCounts() {}

    public ItemCounts(int catalogSize, int[] counts) {
        this.catalogSize = catalogSize;
        this.counts = counts;
    }
}
