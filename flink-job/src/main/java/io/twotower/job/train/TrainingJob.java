package io.twotower.job.train;

import io.twotower.connectors.source.EpochSequenceSource;
import io.twotower.connectors.source.SequenceRow;
import io.twotower.job.trainer.KeyedTableRows;
import io.twotower.job.trainer.TableState;
import io.twotower.model.TwoTowerConfig;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.DataStreamSource;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.transformations.SourceTransformation;

import java.io.IOException;

/**
 * The {@code train} dataflow: Parquet sequences (one epoch at a time) -> keyed negative sampling -> the
 * DJL trainer (parallelism 1, slot-sharing group "trainer"), whose epoch decisions flow back to the
 * source's enumerator through the coordinators.
 */
public final class TrainingJob {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(TrainingJob.class);
    /** The slot-sharing group of the trainer, so a cluster can place it on a GPU TaskManager. */
    public static final String TRAINER_SLOT_GROUP = "trainer";

    private TrainingJob() {}

    /** Options of {@code train}. */
    public static final class Options {
        public String dataDir;
        public String outputDir;
        public TwoTowerConfig config = TwoTowerConfig.defaults();
        public String runId;
        public int keepSnapshots = 5;
        /** {@code --table-state}: auto, operator or keyed ({@link TableState}). */
        public String tableState = "auto";
    }

    /** Validates the data, then adds the whole job to {@code env}; returns the trainer's reports. */
    public static DataStream<EpochReport> build(StreamExecutionEnvironment env, Options options) throws IOException {
        PreparedData data = PreparedData.validate(options.dataDir);
        OutputLocationCheck.check(options.outputDir);
        // Every-position training (model: sequence) reads only the rows whose windows tile each user's sequence.
        long examplesPerEpoch = options.config.everyPosition()
                ? data.trainingLayout(options.config.shuffleBuffer()).rowsPerEpoch(data.trainFiles, data.numUsers,
                        data.numItems, options.config.historyLength(), options.config.sequenceWindowsPerUser())
                : data.trainRows;
        TrainingSpec spec = new TrainingSpec(options.config, options.dataDir, options.outputDir, options.runId,
                data.numUsers, data.numItems, examplesPerEpoch, options.keepSnapshots,
                TableState.resolve(options.tableState, options.config, env.getConfiguration()) == TableState.KEYED);
        LOG.info("Training data {}: {} file(s), layout {}, {} examples an epoch", options.dataDir, data.trainFiles.size(),
                data.trainingLayout(options.config.shuffleBuffer()), examplesPerEpoch);
        String listeningId = "twotower-epochs-" + options.runId;
        return train(examples(env, spec, data, listeningId), spec, listeningId);
    }

    /** The source and the keyed negative sampler. */
    public static DataStream<TrainingExample> examples(StreamExecutionEnvironment env, TrainingSpec spec,
            PreparedData data, String listeningId) {
        EpochSequenceSource source = EpochSequenceSource.builder()
                .setFiles(data.trainFiles)
                .setLayout(data.trainingLayout(spec.config.shuffleBuffer()))
                .setCatalog(data.numUsers, data.numItems)
                .setEpochs(spec.config.epochs())
                .setSeed(spec.config.seed())
                .setSequenceWindows(spec.config.everyPosition() ? spec.config.historyLength() : 0,
                        spec.config.sequenceWindowsPerUser())
                .build();
        DataStreamSource<SequenceRow> rows = env.fromSource(source, WatermarkStrategy.noWatermarks(), "training sequences");
        // One reader: its epoch positions are then one sequence over all files, which the trainer restores
        // after the parallel samplers (a reproducible run at any parallelism). Reading is far from the
        // bottleneck: the trainer is.
        rows.setParallelism(1);
        ((SourceTransformation<?, ?, ?>) rows.getTransformation()).setCoordinatorListeningID(listeningId);
        return rows.keyBy(r -> r.user)
                .process(new NegativeSamplingFunction(
                        data.numItems, spec.config.kNeg(), spec.config.seed(), spec.config.historyLength()))
                .name("sample negatives");
    }

    /**
     * The trainer at parallelism 1 in its own slot-sharing group; with keyed tables its input is keyed by one
     * constant, which gives it a keyed state backend for the rows ({@link KeyedTableRows}).
     */
    public static DataStream<EpochReport> train(DataStream<TrainingExample> examples, TrainingSpec spec,
            String listeningId) {
        DataStream<TrainingExample> input = spec.keyedTables
                ? examples.keyBy(KeyedTableRows.<TrainingExample>keySelector())
                : examples;
        return input
                .transform("train two-tower", TypeInformation.of(EpochReport.class),
                        new TrainerOperatorFactory(spec, listeningId))
                .setParallelism(1)
                .setMaxParallelism(1)
                .slotSharingGroup(TRAINER_SLOT_GROUP);
    }
}
