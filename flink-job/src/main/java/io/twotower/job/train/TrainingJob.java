package io.twotower.job.train;

import io.twotower.connectors.source.EpochSequenceSource;
import io.twotower.connectors.source.SequenceRow;
import io.twotower.connectors.source.TrainingLayout;
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
        LOG.info("Training data {}: {} file(s), layout {}, {} examples an epoch, {} reader(s)", options.dataDir,
                data.trainFiles.size(), data.trainingLayout(options.config.shuffleBuffer()), examplesPerEpoch,
                readers(options.config, data));
        if (data.manifest != null && options.config.model().equals("seed")) {
            // The notebook's model, trained on the same rows, but not in the notebook's row order.
            LOG.info("model: seed on the compact layout: each epoch is shuffled by its reader (shuffle_buffer), not by "
                    + "the notebook's DataLoader permutation; prepare --layout notebook reproduces the notebook's order");
        }
        String listeningId = "twotower-epochs-" + options.runId;
        return train(examples(env, spec, data, listeningId), spec, listeningId);
    }

    /** The source and the keyed negative sampler. */
    public static DataStream<TrainingExample> examples(StreamExecutionEnvironment env, TrainingSpec spec,
            PreparedData data, String listeningId) throws IOException {
        return examples(env, spec, data, listeningId, spec.config.readAhead());
    }

    /**
     * As above, parallel readers reading at most {@code readAhead} rows beyond the trainer's progress (0: no bound,
     * for a consumer that sends no progress, as the source benchmark's; a trainer's progress events come every
     * eighth of its own read_ahead).
     */
    public static DataStream<TrainingExample> examples(StreamExecutionEnvironment env, TrainingSpec spec,
            PreparedData data, String listeningId, long readAhead) throws IOException {
        TrainingLayout layout = data.trainingLayout(spec.config.shuffleBuffer());
        int windowLength = spec.config.everyPosition() ? spec.config.historyLength() : 0;
        int readers = readers(spec.config, data);
        EpochSequenceSource.Builder builder = EpochSequenceSource.builder();
        if (readers > 1) {
            builder.setRowsPerFile(rowsPerFile(data, layout, windowLength, spec.config.sequenceWindowsPerUser()))
                    .setReadAhead(readAhead);
        }
        EpochSequenceSource source = builder
                .setFiles(data.trainFiles)
                .setLayout(layout)
                .setCatalog(data.numUsers, data.numItems)
                .setEpochs(spec.config.epochs())
                .setSeed(spec.config.seed())
                .setSequenceWindows(windowLength, spec.config.sequenceWindowsPerUser())
                .build();
        DataStreamSource<SequenceRow> rows = env.fromSource(source, WatermarkStrategy.noWatermarks(), "training sequences");
        // The readers number one epoch together (one reader in its own order; several by merging their shares), and
        // the trainer restores that order after the parallel samplers: the run depends on the readers' count (a
        // training setting), never on the job's parallelism.
        rows.setParallelism(readers);
        ((SourceTransformation<?, ?, ?>) rows.getTransformation()).setCoordinatorListeningID(listeningId);
        return rows.keyBy(r -> r.user)
                .process(new NegativeSamplingFunction(data.numItems, spec.config.kNeg(), spec.config.seed(),
                        spec.config.historyLength(), data.manifest == null ? 0 : data.manifest.maxHistory))
                .name("sample negatives");
    }

    /**
     * The training source's readers: the {@code readers} setting for the compact layout, at most one a part; the
     * notebook's layout is one exact permutation of each file, read by one reader.
     */
    public static int readers(TwoTowerConfig config, PreparedData data) {
        int wanted = config.readers();
        if (wanted == 1) {
            return 1;
        }
        if (data.manifest == null) {
            LOG.warn("readers: {} applies to the compact layout (prepare --layout user-sequences); {} is the notebook's"
                    + " layout, read by one reader", wanted, data.layout.root());
            return 1;
        }
        if (wanted > data.trainFiles.size()) {
            LOG.warn("readers: {} but the data has {} parts: {} readers (prepare --parts N writes more)", wanted,
                    data.trainFiles.size(), data.trainFiles.size());
            return data.trainFiles.size();
        }
        return wanted;
    }

    /** Each training file's rows an epoch: the manifest's interactions, or with sequence windows a count per part. */
    private static long[] rowsPerFile(PreparedData data, TrainingLayout layout, int windowLength, int windowsPerUser)
            throws IOException {
        long[] rows = new long[data.trainFiles.size()];
        for (int f = 0; f < rows.length; f++) {
            rows[f] = windowLength == 0 ? data.manifest.parts.get(f).interactions
                    : layout.rowsPerEpoch(java.util.List.of(data.trainFiles.get(f)), data.numUsers, data.numItems,
                            windowLength, windowsPerUser);
        }
        return rows;
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
