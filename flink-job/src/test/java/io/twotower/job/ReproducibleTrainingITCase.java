package io.twotower.job;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The same data, configuration and seed give bit-identical snapshots (equal SHA-256 of every file) through
 * the user's own path, {@code train} on an embedded Flink: at parallelism 1, 2 (twice) and 4, the last in
 * another JVM with a tiny young generation, so garbage collection runs all through training.
 */
class ReproducibleTrainingITCase {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String[] SEED_MODEL = {"--set", "d_model=32", "--set", "batch_size=64", "--set", "k_neg=10",
        "--set", "lr=0.01", "--set", "epochs=3", "--set", "dropout=0.1"};
    private static final String[] HISTORY_MODEL = {"--config", Path.of("..", "conf", "twotower-history.yaml").toString(),
        "--set", "d_model=32", "--set", "batch_size=64", "--set", "k_neg=2", "--set", "lr=0.01", "--set", "epochs=3",
        "--set", "dropout=0.1", "--set", "history_length=10"};

    @TempDir
    static Path shared;
    static Path data;

    @BeforeAll
    static void prepareData() throws Exception {
        data = PrepareJobITCase.prepareSynthetic(shared, 160, 200, 8, 25, 11);
    }

    @Test
    void seedModelIsBitIdenticalAtEveryParallelismAndHeap(@TempDir Path out) throws Exception {
        Map<String, String> p1 = trainHere(out.resolve("p1"), 1, SEED_MODEL);
        assertThat(p1).as("snapshot files").isNotEmpty().containsKey("1/user_embeddings.npy");
        assertThat(trainHere(out.resolve("p2"), 2, SEED_MODEL)).isEqualTo(p1);
        assertThat(trainHere(out.resolve("p2-again"), 2, SEED_MODEL)).isEqualTo(p1);
        assertThat(trainInSmallHeapJvm(out.resolve("p4"), 4, SEED_MODEL)).isEqualTo(p1);
        assertSameTraining(out.resolve("p1"), out.resolve("p4"));
    }

    @Test
    void historyModelIsBitIdenticalAcrossParallelismAndHeap(@TempDir Path out) throws Exception {
        Map<String, String> p1 = trainHere(out.resolve("p1"), 1, HISTORY_MODEL);
        assertThat(p1).containsKey("1/user_tower.npz");
        assertThat(trainInSmallHeapJvm(out.resolve("p2"), 2, HISTORY_MODEL)).isEqualTo(p1);
        assertSameTraining(out.resolve("p1"), out.resolve("p2"));
    }

    private static String[] trainArgs(Path out, int parallelism, String[] model) {
        List<String> args = new ArrayList<>(List.of("train", "--data", data.toString(), "--output", out.toString(),
                "--run-id", "repro", "-Dparallelism.default=" + parallelism));
        args.addAll(List.of(model));
        return args.toArray(new String[0]);
    }

    private static Map<String, String> trainHere(Path out, int parallelism, String[] model) throws Exception {
        CliRunner run = CliRunner.run(trainArgs(out, parallelism, model));
        assertThat(run.exitCode).as("train at parallelism %d: %s", parallelism, run.err).isZero();
        return snapshotChecksums(out);
    }

    private static Map<String, String> trainInSmallHeapJvm(Path out, int parallelism, String[] model) throws Exception {
        JvmProcesses jvm = JvmProcesses.start(TwoTowerCli.class, List.of("-Xmn8m", "-Xmx1g"), Map.of(),
                trainArgs(out, parallelism, model));
        assertThat(jvm.await()).as("train at parallelism %d in a JVM with -Xmn8m:\n%s", parallelism, jvm.output())
                .isZero();
        return snapshotChecksums(out);
    }

    private static Map<String, String> snapshotChecksums(Path out) throws Exception {
        return TrainingJobITCase.snapshotChecksums(out, "repro");
    }

    private static void assertSameTraining(Path a, Path b) throws Exception {
        JsonNode x = JSON.readTree(a.resolve("twotower_results.json").toFile()).get("training");
        JsonNode y = JSON.readTree(b.resolve("twotower_results.json").toFile()).get("training");
        assertThat(y.get("train_losses")).isEqualTo(x.get("train_losses"));
        assertThat(y.get("val_recalls")).isEqualTo(x.get("val_recalls"));
    }
}
