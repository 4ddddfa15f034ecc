package io.twotower.job.prepare;

import org.apache.flink.api.common.RuntimeExecutionMode;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.core.fs.FileStatus;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.Path;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code prepare} batch job: interaction logs (CSV, gzip CSV or Parquet) to the notebook's prepared-data layout.
 * Files are read in parallel, histories are ordered per user (keyed), and one writer assigns dense ids.
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
        public TrainingDataLayout layout = TrainingDataLayout.NOTEBOOK;
        /** Part files of the compact layout; 0: the job's parallelism. */
        public int parts = 0;
    }

    /** Adds the job to {@code env} and returns the stream of its one JSON summary. */
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
        return env.fromData(fileIndices).name("interaction files")
                .rebalance()
                .flatMap(new InteractionFileReader(files, options.userColumn, options.itemColumn, options.timeColumn))
                .name("read interactions")
                .keyBy(i -> i.user)
                .process(new UserHistoryAssembler(options.tieBreak, options.seed)).name("order each user's history")
                .transform("write prepared dataset", Types.STRING,
                        new DatasetWriterOperator(options.output, options.maxHistory, options.holdout, options.layout,
                                options.parts > 0 ? options.parts : env.getParallelism()))
                .setParallelism(1);
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
