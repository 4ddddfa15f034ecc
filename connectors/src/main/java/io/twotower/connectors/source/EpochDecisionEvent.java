package io.twotower.connectors.source;

import org.apache.flink.api.connector.source.SourceEvent;

/**
 * The trainer's verdict after evaluating epoch {@code epoch}: read the next epoch, or stop. Sent to the
 * source's enumerator, which holds back the next epoch's splits until it arrives.
 */
public final class EpochDecisionEvent implements SourceEvent {
    private static final long serialVersionUID = 1L;

    public final int epoch;
    public final boolean continueTraining;

    public EpochDecisionEvent(int epoch, boolean continueTraining) {
        this.epoch = epoch;
        this.continueTraining = continueTraining;
    }

    @Override
    public String toString() {
        return "EpochDecision{epoch=" + epoch + ", " + (continueTraining ? "continue" : "stop") + "}";
    }
}
