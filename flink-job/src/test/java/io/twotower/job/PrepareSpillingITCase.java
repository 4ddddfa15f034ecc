package io.twotower.job;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.twotower.connectors.dataset.DatasetLayout;
import io.twotower.connectors.dataset.DatasetManifest;
import io.twotower.connectors.dataset.IdMapFile;
import io.twotower.connectors.dataset.SequenceFiles;
import io.twotower.connectors.dataset.Sequences;
import io.twotower.connectors.dataset.UserSequenceFiles;
import io.twotower.job.prepare.Holdout;
import io.twotower.job.prepare.PrepareJob;
import io.twotower.job.prepare.RawIdOrder;
import io.twotower.job.prepare.TieBreak;
import io.twotower.job.prepare.TrainingDataLayout;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.util.CloseableIterator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code prepare} as a distributed batch job, with so little managed memory that every sort spills to disk, at
 * parallelism 2 and 1 over several input files, against a plain in-memory implementation of the protocol written
 * here: the same id maps, held-out rows, training sequences (both layouts) and baselines.
 */
class PrepareSpillingITCase {
    @RegisterExtension
    static final MiniClusterExtension CLUSTER = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setConfiguration(smallManagedMemory())
            .setNumberTaskManagers(1)
            .setNumberSlotsPerTaskManager(2)
            .build());

    private static Configuration smallManagedMemory() {
        Configuration conf = new Configuration();
        for (String key : new String[] {"rest.bind-address", "rest.address", "jobmanager.bind-host",
                "jobmanager.rpc.address", "taskmanager.bind-host", "taskmanager.host"}) {
            conf.setString(key, "127.0.0.1");
        }
        conf.setString("classloader.check-leaked-classloader", "false");
        // A few MiB for every sort of the job: far less than the log, so each sort writes and merges runs.
        conf.setString("taskmanager.memory.managed.size", "4m");
        return conf;
    }

    /** One interaction of the generated log, with its input position. */
    record Row(String user, String item, long time, int file, long line) {}

    /** Three CSV files: text user ids, integer item ids (some with leading zeros), many same-second ties. */
    static List<Row> writeLog(Path dir, int rows, long seed) throws Exception {
        Random random = new Random(seed);
        List<Row> log = new ArrayList<>();
        int files = 3;
        for (int f = 0; f < files; f++) {
            try (BufferedWriter w = Files.newBufferedWriter(dir.resolve("part-" + f + ".csv"))) {
                w.write("userId,movieId,timestamp\n");
                for (int line = 2; line < 2 + rows / files; line++) {
                    String user = "u" + random.nextInt(3000);
                    int raw = (int) Math.floor(Math.pow(random.nextDouble(), 3) * 4000);
                    String item = raw % 97 == 0 ? "00" + raw : Integer.toString(raw);
                    long time = 1_000_000L + random.nextInt(20_000);
                    w.write(user + "," + item + "," + time + "\n");
                    log.add(new Row(user, item, time, f, line));
                }
            }
        }
        return log;
    }

    @Test
    void spillingDistributedPrepareIsThePlainProtocol(@TempDir Path dir) throws Exception {
        Path input = Files.createDirectories(dir.resolve("log"));
        List<Row> log = writeLog(input, 240_000, 11);
        Expected expected = Expected.of(log, Holdout.VAL_TEST, 20, TieBreak.HASH, 0);

        // Both layouts at parallelism 2, the compact one at parallelism 1 too: the output may not depend on it.
        Object[][] runs = {{TrainingDataLayout.NOTEBOOK, 2}, {TrainingDataLayout.USER_SEQUENCES, 2},
                {TrainingDataLayout.USER_SEQUENCES, 1}};
        for (Object[] run : runs) {
            TrainingDataLayout layout = (TrainingDataLayout) run[0];
            int parallelism = (Integer) run[1];
            Path out = dir.resolve(layout.optionValue() + "-p" + parallelism);
            PrepareJob.Options options = new PrepareJob.Options();
            options.input = input.toString();
            options.output = out.toString();
            options.holdout = Holdout.VAL_TEST;
            options.maxHistory = 20;
            options.layout = layout;
            options.parts = 3;
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
            env.setParallelism(parallelism);
            JsonNode summary;
            try (CloseableIterator<String> it = PrepareJob.build(env, options).executeAndCollect("prepare")) {
                summary = new ObjectMapper().readTree(it.next());
            }
            DatasetLayout files = new DatasetLayout(new org.apache.flink.core.fs.Path(out.toString()));
            assertThat(IdMapFile.read(files.userMap(), DatasetLayout.USER_ID_COLUMN, DatasetLayout.USER_IDX_COLUMN))
                    .containsExactlyElementsOf(expected.users);
            assertThat(IdMapFile.read(files.itemMap(), DatasetLayout.ITEM_ID_COLUMN, DatasetLayout.ITEM_IDX_COLUMN))
                    .containsExactlyElementsOf(expected.items);
            int numUsers = expected.users.size();
            int numItems = expected.items.size();
            assertThat(rows(SequenceFiles.read(files.validation(), numUsers, numItems))).isEqualTo(expected.validation);
            assertThat(rows(SequenceFiles.read(files.test(), numUsers, numItems))).isEqualTo(expected.test);
            Map<Integer, List<Integer>> train = new TreeMap<>();
            if (layout == TrainingDataLayout.USER_SEQUENCES) {
                DatasetManifest manifest = DatasetManifest.read(files.manifest());
                assertThat(manifest.parts).hasSize(3);
                for (DatasetManifest.Part part : manifest.parts) {
                    int[] last = {-1};
                    UserSequenceFiles.forEachUser(new org.apache.flink.core.fs.Path(files.userSequences(), part.file),
                            numUsers, numItems, (user, items, length, row) -> {
                                assertThat(user).isGreaterThan(last[0]);
                                last[0] = user;
                                List<Integer> seq = new ArrayList<>();
                                for (int i = 0; i < length; i++) {
                                    seq.add(items[i]);
                                }
                                train.put(user, seq);
                            });
                }
            } else {
                Sequences rows = SequenceFiles.read(files.train(), numUsers, numItems);
                for (int r = 0; r < rows.size(); r++) {
                    List<Integer> seq = train.computeIfAbsent(rows.user(r), u -> new ArrayList<>());
                    // The notebook's row t holds the (at most 20) items before the t-th: check it, then keep the item.
                    String history = rows.historyText(r);
                    List<Integer> before = seq.subList(Math.max(0, seq.size() - 20), seq.size());
                    assertThat(history == null ? "" : history).isEqualTo(joined(before));
                    seq.add(rows.positive(r));
                }
            }
            assertThat(train).as(layout.optionValue()).isEqualTo(expected.train);
            assertThat(summary.get("train_rows").asLong()).isEqualTo(expected.trainRows);
            assertThat(summary.get("baselines").get("most_popular").get("Recall@10").asDouble())
                    .isEqualTo(expected.validationBaselines[0]);
            assertThat(summary.get("baselines").get("most_popular_excluding_history").get("Recall@10").asDouble())
                    .isEqualTo(expected.validationBaselines[1]);
            assertThat(summary.get("test_baselines").get("most_popular").get("Recall@10").asDouble())
                    .isEqualTo(expected.testBaselines[0]);
            assertThat(summary.get("test_baselines").get("most_popular_excluding_history").get("Recall@10").asDouble())
                    .isEqualTo(expected.testBaselines[1]);
        }
    }

    private static List<String> rows(Sequences s) {
        List<String> out = new ArrayList<>();
        for (int r = 0; r < s.size(); r++) {
            out.add(s.user(r) + ":" + s.positive(r) + ":" + (s.historyText(r) == null ? "" : s.historyText(r)));
        }
        return out;
    }

    private static String joined(List<Integer> items) {
        StringBuilder sb = new StringBuilder();
        for (int i : items) {
            sb.append(sb.length() > 0 ? " " : "").append(i);
        }
        return sb.toString();
    }

    /** The protocol in a few lines, all in memory: what the distributed job must write. */
    static final class Expected {
        List<String> users;
        List<String> items;
        List<String> validation = new ArrayList<>();
        List<String> test = new ArrayList<>();
        Map<Integer, List<Integer>> train = new TreeMap<>();
        long trainRows;
        double[] validationBaselines;
        double[] testBaselines;

        static Expected of(List<Row> log, Holdout holdout, int maxHistory, TieBreak tieBreak, long seed) {
            Expected e = new Expected();
            e.users = log.stream().map(Row::user).distinct().sorted(RawIdOrder.INSTANCE).toList();
            e.items = log.stream().map(Row::item).distinct().sorted(RawIdOrder.INSTANCE).toList();
            Map<String, Integer> itemIndex = new HashMap<>();
            for (int i = 0; i < e.items.size(); i++) {
                itemIndex.put(e.items.get(i), i);
            }
            Map<String, List<Row>> byUser = new HashMap<>();
            for (Row r : log) {
                byUser.computeIfAbsent(r.user(), u -> new ArrayList<>()).add(r);
            }
            int[] popularity = new int[e.items.size()];
            int[][] sequences = new int[e.users.size()][];
            for (int u = 0; u < e.users.size(); u++) {
                List<Row> rows = byUser.get(e.users.get(u));
                rows.sort(Comparator.<Row>comparingLong(Row::time)
                        .thenComparingLong(r -> tieBreak.primary(seed, r.user(), r.item(), itemIndex.get(r.item())))
                        .thenComparingLong(r -> tieBreak.secondary(itemIndex.get(r.item())))
                        .thenComparingInt(Row::file).thenComparingLong(Row::line));
                int[] seq = rows.stream().mapToInt(r -> itemIndex.get(r.item())).toArray();
                sequences[u] = seq;
                int end = holdout.trainEnd(seq.length);
                if (end > 0) {
                    e.train.put(u, Arrays.stream(seq, 0, end).boxed().toList());
                }
                e.trainRows += end;
                for (int t = 0; t < end; t++) {
                    popularity[seq[t]]++;
                }
                int v = holdout.validationAt(seq.length);
                if (v >= 0) {
                    e.validation.add(u + ":" + seq[v] + ":" + joined(window(seq, v, maxHistory)));
                }
                int t = holdout.testAt(seq.length);
                if (t >= 0) {
                    e.test.add(u + ":" + seq[t] + ":" + joined(window(seq, t, maxHistory)));
                }
            }
            Integer[] order = new Integer[popularity.length];
            for (int i = 0; i < order.length; i++) {
                order[i] = i;
            }
            Arrays.sort(order, (a, b) -> popularity[a] != popularity[b] ? Integer.compare(popularity[b], popularity[a])
                    : Integer.compare(a, b));
            e.validationBaselines = baselines(sequences, order, holdout::validationAt);
            e.testBaselines = baselines(sequences, order, holdout::testAt);
            return e;
        }

        private static List<Integer> window(int[] seq, int at, int maxHistory) {
            return Arrays.stream(seq, Math.max(0, at - maxHistory), at).boxed().toList();
        }

        /** Recall@10 of the 10 most popular items, then of the 10 most popular the user has not seen. */
        private static double[] baselines(int[][] sequences, Integer[] order,
                java.util.function.IntUnaryOperator heldOutAt) {
            long rows = 0;
            long[] hits = new long[2];
            for (int[] seq : sequences) {
                int at = heldOutAt.applyAsInt(seq.length);
                if (at < 0) {
                    continue;
                }
                rows++;
                java.util.Set<Integer> seen = new java.util.HashSet<>();
                for (int i = 0; i < at; i++) {
                    seen.add(seq[i]);
                }
                List<Integer> top = Arrays.asList(order).subList(0, Math.min(10, order.length));
                List<Integer> topUnseen = Arrays.stream(order).filter(i -> !seen.contains(i)).limit(10).toList();
                hits[0] += top.contains(seq[at]) ? 1 : 0;
                hits[1] += topUnseen.contains(seq[at]) ? 1 : 0;
            }
            return new double[] {(double) hits[0] / rows, (double) hits[1] / rows};
        }
    }
}
