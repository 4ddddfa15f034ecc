package io.twotower.job.train;

import io.twotower.connectors.source.TrainerProgressEvent;
import org.apache.flink.runtime.operators.coordination.OperatorEventGateway;

/**
 * Tells parallel training readers how far the trainer has got ({@link TrainerProgressEvent}), so each reads at most
 * a read-ahead beyond it: every eighth of the read-ahead released in order (so a reader never waits for an event
 * while the trainer could take its rows), and again on request (after a restore,
 * and once a second, which also covers an event that reached a reader before it was restarted). With one reader it
 * sends nothing: that reader's rows arrive in order and its back-pressure is the flow control.
 */
final class TrainerProgressSender {
    private final OperatorEventGateway coordinator;
    private final boolean parallelReaders;
    private final long interval;

    TrainerProgressSender(OperatorEventGateway coordinator, int readers, long readAhead) {
        this.coordinator = coordinator;
        this.parallelReaders = readers > 1;
        this.interval = Math.max(1, readAhead / 8);
    }

    boolean isActive() {
        return parallelReaders;
    }

    /** The trainer released its {@code released}-th example of {@code epoch} (0-based epoch, count from 1). */
    void released(int epoch, long released) {
        if (parallelReaders && released % interval == 0) {
            send(epoch, released);
        }
    }

    /** Sends the trainer's position now. */
    void send(int epoch, long released) {
        if (parallelReaders) {
            coordinator.sendEventToCoordinator(new ToSourceEvent(new TrainerProgressEvent(epoch, released)));
        }
    }
}
