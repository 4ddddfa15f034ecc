package io.twotower.job;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.twotower.connectors.dataset.DatasetLayout;
import io.twotower.connectors.dataset.IdMapFile;
import io.twotower.connectors.dataset.SequenceFiles;
import io.twotower.connectors.dataset.Sequences;
import io.twotower.job.prepare.PrepareJob;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.util.CloseableIterator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class PrepareJobITCase {
    @RegisterExtension
    static final MiniClusterExtension CLUSTER = MiniClusters.withTrainerSlot();

    static final Path MOVIELENS = Paths.get("..", "data", "movielens-small", "ratings.csv");

    /** A synthetic log (see {@link SyntheticInteractions#writeCsv}) prepared into {@code dir/prepared}. */
    static Path prepareSynthetic(Path dir, int users, int items, int clusters, int perUser, long seed) throws Exception {
        Path log = SyntheticInteractions.writeCsv(dir.resolve("log.csv"), users, items, clusters, perUser, seed);
        Path prepared = dir.resolve("prepared");
        prepare(log.toString(), prepared.toString());
        return prepared;
    }

    static String prepare(String input, String output) throws Exception {
        PrepareJob.Options options = new PrepareJob.Options();
        options.input = input;
        options.output = output;
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(2);
        try (CloseableIterator<String> it = PrepareJob.build(env, options).executeAndCollect("prepare")) {
            return it.next();
        }
    }

    @Test
    void bundledMovieLensGivesTheProtocolsCounts(@TempDir Path out) throws Exception {
        JsonNode summary = new ObjectMapper().readTree(prepare(MOVIELENS.toString(), out.toString()));
        assertThat(summary.get("users").asInt()).isEqualTo(610);
        assertThat(summary.get("items").asInt()).isEqualTo(9724);
        assertThat(summary.get("train_rows").asInt()).isEqualTo(100226);
        assertThat(summary.get("val_rows").asInt()).isEqualTo(610);

        DatasetLayout layout = new DatasetLayout(new org.apache.flink.core.fs.Path(out.toString()));
        String[] users = IdMapFile.read(layout.userMap(), DatasetLayout.USER_ID_COLUMN, DatasetLayout.USER_IDX_COLUMN);
        String[] items = IdMapFile.read(layout.itemMap(), DatasetLayout.ITEM_ID_COLUMN, DatasetLayout.ITEM_IDX_COLUMN);
        // Dense ids in ascending numeric raw-id order.
        assertThat(users[0]).isEqualTo("1");
        assertThat(users[609]).isEqualTo("610");
        assertThat(items[0]).isEqualTo("1");
        assertThat(items[1]).isEqualTo("2");
        assertThat(items[9723]).isEqualTo("193609");
        Sequences train = SequenceFiles.read(layout.train(), users.length, items.length);
        Sequences val = SequenceFiles.read(layout.validation(), users.length, items.length);
        assertThat(train.size()).isEqualTo(100226);
        assertThat(val.size()).isEqualTo(610);
        // Every history is capped at 50 items, and a user's first training row has none.
        int maxHistory = 0;
        for (int r = 0; r < train.size(); r++) {
            maxHistory = Math.max(maxHistory, train.historyLength(r));
        }
        assertThat(maxHistory).isEqualTo(50);
        assertThat(train.historyLength(0)).isZero();
        assertThat(train.user(0)).isZero();

        JsonNode baselines = new ObjectMapper().readTree(Files.readAllBytes(out.resolve("baseline_results.json")))
                .get("held_out_interactions");
        assertThat(baselines.get("most_popular").get("Recall@10").asDouble()).isCloseTo(12.0 / 610, within(1e-12));
        assertThat(baselines.get("most_popular_excluding_history").get("Recall@10").asDouble())
                .isCloseTo(26.0 / 610, within(1e-12));
    }

    @Test
    void protocolOnATinyLogIsExact(@TempDir Path dir) throws Exception {
        Path log = dir.resolve("log.csv");
        Files.write(log, List.of(
                "user,item,ts",
                "b,10,5", "a,2,1", "a,10,3", "a,2,2", "b,7,5", "a,9,3"));
        Path out = dir.resolve("out");
        PrepareJob.Options options = new PrepareJob.Options();
        options.input = log.toString();
        options.output = out.toString();
        options.userColumn = "user";
        options.itemColumn = "item";
        options.timeColumn = "ts";
        options.maxHistory = 2;
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        try (CloseableIterator<String> it = PrepareJob.build(env, options).executeAndCollect("prepare")) {
            it.next();
        }
        DatasetLayout layout = new DatasetLayout(new org.apache.flink.core.fs.Path(out.toString()));
        // Items 2, 7, 9, 10 -> 0..3 (numeric order); users a, b -> 0, 1.
        // a: (1,2) (2,2) (3,9) (3,10) sorted by (time, item) -> 0 0 2 3;  b: (5,7) (5,10) -> 1 3.
        Sequences train = SequenceFiles.read(layout.train(), 2, 4);
        Sequences val = SequenceFiles.read(layout.validation(), 2, 4);
        assertThat(train.size()).isEqualTo(4);
        assertThat(train.historyText(0)).isNull();
        assertThat(train.positive(0)).isEqualTo(0);
        assertThat(train.historyText(1)).isEqualTo("0");
        assertThat(train.historyText(2)).isEqualTo("0 0");
        assertThat(train.positive(2)).isEqualTo(2);
        assertThat(train.user(3)).isEqualTo(1);
        assertThat(train.positive(3)).isEqualTo(1);
        assertThat(val.user(0)).isEqualTo(0);
        assertThat(val.positive(0)).isEqualTo(3);
        assertThat(val.historyText(0)).isEqualTo("0 2");
        assertThat(val.positive(1)).isEqualTo(3);
        assertThat(val.historyText(1)).isEqualTo("1");
    }

    @Test
    void badInputNamesTheFileLineAndColumn(@TempDir Path dir) throws Exception {
        Path noColumn = dir.resolve("no_column.csv");
        Files.write(noColumn, List.of("userId,itemId,timestamp", "1,2,3"));
        assertThatThrownBy(() -> prepare(noColumn.toString(), dir.resolve("o1").toString()))
                .hasStackTraceContaining("no_column.csv: missing column 'movieId'");

        Path badTime = dir.resolve("bad_time.csv");
        Files.write(badTime, List.of("userId,movieId,timestamp", "1,2,3", "1,3,yesterday"));
        assertThatThrownBy(() -> prepare(badTime.toString(), dir.resolve("o2").toString()))
                .hasStackTraceContaining("bad_time.csv: line 3, column 'timestamp': 'yesterday' is not a numeric timestamp");

        Path empty = dir.resolve("empty.csv");
        Files.write(empty, new byte[0]);
        assertThatThrownBy(() -> prepare(empty.toString(), dir.resolve("o3").toString()))
                .hasStackTraceContaining("empty.csv: the file is empty");
    }
}
