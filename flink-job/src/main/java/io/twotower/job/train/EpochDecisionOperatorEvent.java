package io.twotower.job.train;

import io.twotower.connectors.source.EpochDecisionEvent;
import org.apache.flink.runtime.operators.coordination.OperatorEvent;

/** Carries the trainer's {@link EpochDecisionEvent} from the trainer task to its coordinator. */
public final class EpochDecisionOperatorEvent implements OperatorEvent {
    private static final long serialVersionUID = 1L;

    public final EpochDecisionEvent decision;

    public EpochDecisionOperatorEvent(EpochDecisionEvent decision) {
        this.decision = decision;
    }
}
