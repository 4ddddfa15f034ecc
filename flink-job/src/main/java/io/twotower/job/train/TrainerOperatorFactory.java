package io.twotower.job.train;

import org.apache.flink.runtime.jobgraph.OperatorID;
import org.apache.flink.runtime.operators.coordination.OperatorCoordinator;
import org.apache.flink.runtime.operators.coordination.OperatorEventGateway;
import org.apache.flink.streaming.api.operators.AbstractStreamOperatorFactory;
import org.apache.flink.streaming.api.operators.CoordinatedOperatorFactory;
import org.apache.flink.streaming.api.operators.OneInputStreamOperatorFactory;
import org.apache.flink.streaming.api.operators.StreamOperator;
import org.apache.flink.streaming.api.operators.StreamOperatorParameters;

/** Creates the {@link TrainerOperator} and its {@link TrainerCoordinator}. */
public final class TrainerOperatorFactory extends AbstractStreamOperatorFactory<EpochReport>
        implements CoordinatedOperatorFactory<EpochReport>, OneInputStreamOperatorFactory<TrainingExample, EpochReport> {
    private static final long serialVersionUID = 1L;

    private final TrainingSpec spec;
    private final String sourceListeningId;

    public TrainerOperatorFactory(TrainingSpec spec, String sourceListeningId) {
        this.spec = spec;
        this.sourceListeningId = sourceListeningId;
    }

    @Override
    @SuppressWarnings("unchecked")
    public <T extends StreamOperator<EpochReport>> T createStreamOperator(StreamOperatorParameters<EpochReport> parameters) {
        OperatorID id = parameters.getStreamConfig().getOperatorID();
        OperatorEventGateway gateway = parameters.getOperatorEventDispatcher().getOperatorEventGateway(id);
        return (T) new TrainerOperator(parameters, spec, gateway);
    }

    @Override
    public OperatorCoordinator.Provider getCoordinatorProvider(String operatorName, OperatorID operatorID) {
        return new TrainerCoordinator.Provider(operatorID, sourceListeningId);
    }

    @Override
    public Class<? extends StreamOperator> getStreamOperatorClass(ClassLoader classLoader) {
        return TrainerOperator.class;
    }
}
