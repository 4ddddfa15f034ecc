package io.twotower.job.prepare;

import io.twotower.connectors.dataset.DatasetLayout;
import io.twotower.connectors.dataset.UserSequenceFiles;
import org.apache.flink.api.common.RuntimeExecutionMode;
import org.apache.flink.api.common.operators.Order;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.core.fs.FileStatus;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.Path;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code prepare} batch job: interaction logs (CSV, gzip CSV or Parquet) to a prepared-data folder, in the
 * notebook's layout or the compact one ({@link TrainingDataLayout}).
 * Files are read in parallel and every stage after is parallel or streams through Flink's external sort, so memory
 * does not grow with the log (see {@link #build}).
 */
public final class PrepareJob {
    private PrepareJob() {}

    /** Options of {@code prepare}. */
    public static final class Options {
        public String input;
        public String output;
        public String userColumn = "userId";
        public String itemColumn = "movieId";
        public String timeColumn = "timestamp";
        public int maxHistory = 50;
        public TieBreak tieBreak = TieBreak.DEFAULT;
        /** The seed of {@link TieBreak#HASH}. */
        public long seed = 0;
        public Holdout holdout = Holdout.VAL;
        /**
         * The compact layout by default: 10x smaller, streamed by train in bounded memory; {@code --layout notebook}
         * writes the notebook's files (README "The default, and why").
         */
        public TrainingDataLayout layout = TrainingDataLayout.USER_SEQUENCES;
        /** Part files of the compact layout; 0: the job's parallelism. */
        public int parts = 0;
    }

    /**
     * Adds the job to {@code env} and returns the stream of its one JSON summary. Every step is parallel or
     * streams through an external sort, so no task holds the log, its histories or an id map in memory:
     * <ol>
     *   <li>read the input files in parallel;
     *   <li>the distinct users and items (keyed), sorted in {@link RawIdOrder}, stream through one id assigner
     *       each, which writes the id map and emits each id's dense index;
     *   <li>the item join (keyed by item; a batch job sorts by key): interactions meet their item's index;
     *   <li>the user join (keyed by user): interactions meet their user's index, and each user's sequence is put
     *       in the protocol's order (one user in memory at a time);
     *   <li>the sequences go to parallel part writers (compact layout) or one row writer (notebook layout), their
     *       held-out tails to the held-out writer, and to parallel baseline scorers with the popularity order
     *       summed from per-subtask counts;
     *   <li>one summary writer gathers every writer's figures, writes the manifest and the baselines, last.
     * </ol>
     */
    public static DataStream<String> build(StreamExecutionEnvironment env, Options options) throws IOException {
        if (options.maxHistory <= 0) {
            throw new IllegalArgumentException("--max-history must be > 0, got " + options.maxHistory);
        }
        if (options.parts < 0) {
            throw new IllegalArgumentException("--parts must be >= 1 (or 0: the job's parallelism), got " + options.parts);
        }
        env.setRuntimeMode(RuntimeExecutionMode.BATCH);
        List<String> files = inputFiles(new Path(options.input));
        List<Integer> fileIndices = new ArrayList<>();
        for (int i = 0; i < files.size(); i++) {
            fileIndices.add(i);
        }
        boolean compact = options.layout == TrainingDataLayout.USER_SEQUENCES;
        int parallelism = env.getParallelism();
        int parts = options.parts > 0 ? options.parts : parallelism;
        DatasetLayout layout = new DatasetLayout(new Path(options.output));
        clearTrainingData(layout, compact);

        DataStream<Interaction> interactions = env.fromData(fileIndices).name("interaction files")
                .rebalance()
                .flatMap(new InteractionFileReader(files, options.userColumn, options.itemColumn, options.timeColumn))
                .name("read interactions");

        SingleOutputStreamOperator<IdJoinRow> itemIndex = denseIds(interactions.map(i -> i.item).returns(Types.STRING),
                "item", layout.itemMap(), DatasetLayout.ITEM_ID_COLUMN, DatasetLayout.ITEM_IDX_COLUMN, PrepareFact.ITEMS);
        SingleOutputStreamOperator<IdJoinRow> userIndex = denseIds(interactions.map(i -> i.user).returns(Types.STRING),
                "user", layout.userMap(), DatasetLayout.USER_ID_COLUMN, DatasetLayout.USER_IDX_COLUMN, PrepareFact.USERS);

        DataStream<IdJoinRow> byUser = itemIndex
                .union(interactions.map(IdJoinRow::itemEvent).returns(IdJoinRow.class).name("key by item"))
                .assignTimestampsAndWatermarks(IndexRowsFirst.strategy()).name("index rows first")
                .keyBy(r -> r.key)
                .process(new ItemIndexJoin(options.tieBreak, options.seed)).name("join item indices");
        SingleOutputStreamOperator<UserSequence> sequences = userIndex.union(byUser)
                .assignTimestampsAndWatermarks(IndexRowsFirst.strategy()).name("index rows first")
                .keyBy(r -> r.key)
                .process(new UserSequenceAssembler()).name("assemble each user's sequence");

        DataStream<PrepareFact> trainFacts;
        if (compact) {
            trainFacts = sequences
                    .partitionCustom((Integer part, int subtasks) -> TrainingPartWriter.subtaskOf(part, subtasks),
                            s -> UserSequenceFiles.partOf(s.user, parts))
                    .fullWindowPartition().sortPartition(new UserSequence.ByUser(), Order.ASCENDING)
                    .setParallelism(parallelism).name("sort each part by user")
                    .transform("write training parts", TypeInformation.of(PrepareFact.class),
                            new TrainingPartWriter(options.output, options.holdout, parts));
        } else {
            trainFacts = sortedByUser(sequences, "training sequences")
                    .transform("write training rows", TypeInformation.of(PrepareFact.class),
                            HeldOutWriter.training(layout.train(), options.holdout, options.maxHistory))
                    .setParallelism(1);
        }
        Holdout holdout = options.holdout;
        int maxHistory = options.maxHistory;
        DataStream<UserSequence> tails = sequences
                .map(s -> HeldOutWriter.heldOutTail(s, holdout, maxHistory))
                .returns(UserSequence.class).name("held-out tails");
        DataStream<PrepareFact> heldOutFacts = sortedByUser(tails, "held-out tails")
                .transform("write held-out rows", TypeInformation.of(PrepareFact.class),
                        HeldOutWriter.heldOut(layout.validation(), layout.test(), options.holdout, options.maxHistory))
                .setParallelism(1);

        DataStream<int[]> popularity = sequences
                .transform("count training items", TypeInformation.of(ItemCounts.class),
                        new TrainingItemCounter(options.holdout))
                .union(itemIndex.getSideOutput(DenseIdAssigner.CATALOG))
                .transform("popularity order", PrimitiveArrayTypeInfo.INT_PRIMITIVE_ARRAY_TYPE_INFO,
                        new PopularityRanking())
                .setParallelism(1);
        DataStream<PrepareFact> baselineFacts = popularity.broadcast()
                .connect(sequences)
                .transform("score popularity baselines", TypeInformation.of(PrepareFact.class),
                        new BaselineOperator(options.holdout));

        return trainFacts
                .union(heldOutFacts, baselineFacts, itemIndex.getSideOutput(DenseIdAssigner.FACTS),
                        userIndex.getSideOutput(DenseIdAssigner.FACTS))
                .transform("write summary", Types.STRING, new PrepareSummaryWriter(options.output,
                        options.maxHistory, options.holdout, options.layout, parts))
                .setParallelism(1);
    }

    /** The distinct ids of {@code ids} (keyed), through the external sort into one {@link DenseIdAssigner}. */
    private static SingleOutputStreamOperator<IdJoinRow> denseIds(DataStream<String> ids, String what, Path map,
            String idColumn, String indexColumn, String kind) {
        return ids.keyBy(id -> id).reduce((a, b) -> a).name("distinct " + what + "s")
                .fullWindowPartition().sortPartition(new RawIdSortKey(), Order.ASCENDING).setParallelism(1)
                .name("sort " + what + " ids")
                .transform("assign dense " + what + " ids", TypeInformation.of(IdJoinRow.class),
                        new DenseIdAssigner(map.toString(), idColumn, indexColumn, kind))
                .setParallelism(1);
    }

    /** All of {@code sequences}, sorted by user at parallelism 1 (by Flink's external sort, spilling to disk). */
    private static SingleOutputStreamOperator<UserSequence> sortedByUser(DataStream<UserSequence> sequences,
            String what) {
        return sequences.fullWindowPartition().sortPartition(new UserSequence.ByUser(), Order.ASCENDING)
                .setParallelism(1).name("sort " + what + " by user");
    }

    /**
     * Removes the training data an earlier run left in the output folder: the other layout's would be read
     * instead of (or beside) this run's, and stale parts of a run with more parts beside the new ones.
     * Done when the job is built, before any writer starts.
     */
    private static void clearTrainingData(DatasetLayout layout, boolean compact) throws IOException {
        FileSystem fs = layout.root().getFileSystem();
        fs.mkdirs(layout.root());
        fs.delete(compact ? layout.train() : layout.manifest(), true);
        fs.delete(layout.userSequences(), true);
        if (compact) {
            fs.mkdirs(layout.userSequences());
        }
    }

    /** The input file, or the .csv, .csv.gz and .parquet files of an input folder. */
    static List<String> inputFiles(Path input) throws IOException {
        FileSystem fs = input.getFileSystem();
        if (!fs.exists(input)) {
            throw new IOException(input + ": --input not found");
        }
        List<String> files = new ArrayList<>();
        if (fs.getFileStatus(input).isDir()) {
            for (FileStatus s : fs.listStatus(input)) {
                String name = s.getPath().getName();
                if (!s.isDir() && (name.endsWith(".csv") || name.endsWith(".csv.gz") || name.endsWith(".parquet"))) {
                    files.add(s.getPath().toString());
                }
            }
            if (files.isEmpty()) {
                throw new IOException(input + ": --input folder holds no .csv, .csv.gz or .parquet file");
            }
            files.sort(String::compareTo);
        } else {
            files.add(input.toString());
        }
        return files;
    }
}
