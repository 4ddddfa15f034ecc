package io.twotower.job.train;

import io.twotower.connectors.source.EpochDecisionEvent;
import org.apache.flink.api.connector.source.SourceEvent;
import org.apache.flink.runtime.jobgraph.OperatorID;
import org.apache.flink.runtime.operators.coordination.OperatorCoordinator;
import org.apache.flink.runtime.operators.coordination.OperatorEvent;
import org.apache.flink.runtime.source.event.SourceEventWrapper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.annotation.Nullable;

import java.util.concurrent.CompletableFuture;

/**
 * Relays the trainer's epoch decisions and progress to the training source's coordinator, found in the job's
 * CoordinatorStore under the source's listening id (the pattern of Flink's dynamic filtering). It holds
 * no state: after a restore the trainer re-sends its last decision and the enumerator ignores repeats.
 */
final class TrainerCoordinator implements OperatorCoordinator {
    private static final Logger LOG = LoggerFactory.getLogger(TrainerCoordinator.class);

    private final Context context;
    private final String sourceListeningId;

    TrainerCoordinator(Context context, String sourceListeningId) {
        this.context = context;
        this.sourceListeningId = sourceListeningId;
    }

    @Override
    public void start() {}

    @Override
    public void close() {}

    @Override
    public void handleEventFromOperator(int subtask, int attemptNumber, OperatorEvent event) throws Exception {
        if (!(event instanceof ToSourceEvent)) {
            throw new IllegalArgumentException("unexpected event " + event);
        }
        SourceEvent sourceEvent = ((ToSourceEvent) event).event;
        SourceEventWrapper wrapped = new SourceEventWrapper(sourceEvent);
        boolean decision = sourceEvent instanceof EpochDecisionEvent;
        if (decision) {
            LOG.info("Relaying {} to the training source", sourceEvent);
        } else {
            LOG.debug("Relaying {} to the training source", sourceEvent);
        }
        context.getCoordinatorStore().compute(sourceListeningId, (key, current) -> {
            if (current instanceof OperatorCoordinator) {
                try {
                    ((OperatorCoordinator) current).handleEventFromOperator(0, 0, wrapped);
                } catch (Exception e) {
                    context.failJob(e);
                }
                return current;
            }
            // The source coordinator has not started yet: it picks the (one) event up when it registers. A decision
            // is kept over progress, which the trainer re-sends every second anyway.
            if (!decision && current instanceof SourceEventWrapper
                    && ((SourceEventWrapper) current).getSourceEvent() instanceof EpochDecisionEvent) {
                return current;
            }
            return wrapped;
        });
    }

    @Override
    public void checkpointCoordinator(long checkpointId, CompletableFuture<byte[]> result) {
        result.complete(new byte[0]);
    }

    @Override
    public void notifyCheckpointComplete(long checkpointId) {}

    @Override
    public void resetToCheckpoint(long checkpointId, @Nullable byte[] checkpointData) {}

    @Override
    public void subtaskReset(int subtask, long checkpointId) {}

    @Override
    public void executionAttemptFailed(int subtask, int attemptNumber, @Nullable Throwable reason) {}

    @Override
    public void executionAttemptReady(int subtask, int attemptNumber, SubtaskGateway gateway) {}

    /** Creates the coordinator for the trainer operator. */
    static final class Provider implements OperatorCoordinator.Provider {
        private static final long serialVersionUID = 1L;
        private final OperatorID operatorId;
        private final String sourceListeningId;

        Provider(OperatorID operatorId, String sourceListeningId) {
            this.operatorId = operatorId;
            this.sourceListeningId = sourceListeningId;
        }

        @Override
        public OperatorID getOperatorId() {
            return operatorId;
        }

        @Override
        public OperatorCoordinator create(Context context) {
            return new TrainerCoordinator(context, sourceListeningId);
        }
    }
}
