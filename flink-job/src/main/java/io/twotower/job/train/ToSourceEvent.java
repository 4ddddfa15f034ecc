package io.twotower.job.train;

import org.apache.flink.api.connector.source.SourceEvent;
import org.apache.flink.runtime.operators.coordination.OperatorEvent;

/**
 * Carries an event for the training source's enumerator (the trainer's epoch decisions and progress) from the
 * trainer task to its coordinator, which relays it ({@link TrainerCoordinator}).
 */
public final class ToSourceEvent implements OperatorEvent {
    private static final long serialVersionUID = 1L;

    public final SourceEvent event;

    public ToSourceEvent(SourceEvent event) {
        this.event = event;
    }
}
