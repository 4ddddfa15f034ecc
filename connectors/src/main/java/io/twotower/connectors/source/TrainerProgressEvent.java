package io.twotower.connectors.source;

import org.apache.flink.api.connector.source.SourceEvent;

/**
 * The trainer has taken the first {@code released} rows of epoch {@code epoch}, in epoch-position order. With
 * parallel readers the enumerator forwards it to every reader, which emits only rows positioned before
 * {@code released} plus its read-ahead: a reader that runs ahead of the others waits instead of filling the trainer's
 * reorder buffer, so that buffer stays bounded by the read-ahead whatever the data and the readers' speeds.
 */
public final class TrainerProgressEvent implements SourceEvent {
    private static final long serialVersionUID = 1L;

    public final int epoch;
    public final long released;

    public TrainerProgressEvent(int epoch, long released) {
        this.epoch = epoch;
        this.released = released;
    }

    /** Whether this event says more than {@code other} (null: nothing known yet). */
    boolean isAfter(TrainerProgressEvent other) {
        return other == null || epoch > other.epoch || (epoch == other.epoch && released > other.released);
    }

    @Override
    public String toString() {
        return "TrainerProgress{epoch=" + epoch + ", released=" + released + "}";
    }
}
