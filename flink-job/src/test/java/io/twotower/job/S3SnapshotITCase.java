package io.twotower.job;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.twotower.connectors.snapshot.NpyFormat;
import io.twotower.connectors.snapshot.SnapshotStore;
import io.twotower.job.train.OutputLocationCheck;
import io.twotower.job.train.TrainingJob;
import io.twotower.model.TwoTowerConfig;
import org.apache.flink.core.fs.FSDataOutputStream;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.Path;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

/** Snapshots on a real S3-compatible server (bin/s3-server) through Flink's S3 file system. */
class S3SnapshotITCase {
    @RegisterExtension
    static final MiniClusterExtension CLUSTER = MiniClusters.withTrainerSlot();

    @TempDir
    static java.nio.file.Path shared;
    static java.nio.file.Path data;
    static String bucket;
    static final ObjectMapper JSON = new ObjectMapper();
    static final TwoTowerConfig SMALL = TwoTowerConfig.defaults().withValues(Map.of(
            "d_model", 32, "batch_size", 64, "k_neg", 10, "lr", 0.01, "epochs", 3, "dropout", 0.1), "test");

    @BeforeAll
    static void bucketAndData() throws Exception {
        bucket = S3TestServer.createBucket("tt-snapshots");
        // The MiniCluster's tasks run in this JVM and use its file systems: configure them for the server.
        S3TestServer.useFromFlink();
        java.nio.file.Path log = SyntheticInteractions.writeCsv(shared.resolve("log.csv"), 160, 200, 8, 25, 7);
        data = shared.resolve("prepared");
        PrepareJobITCase.prepare(log.toString(), data.toString());
    }

    static TrainingJob.Options options(String output, TwoTowerConfig config) {
        TrainingJob.Options options = new TrainingJob.Options();
        options.dataDir = data.toString();
        options.outputDir = output;
        options.config = config;
        options.runId = "s3-run";
        options.keepSnapshots = 2;
        return options;
    }

    @Test
    void trainingPublishesVerifiedSnapshotsToS3() throws Exception {
        String output = "s3://" + bucket + "/train";
        OutputLocationCheck.check(output);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(2);
        TrainingJobITCase.run(env, options(output, SMALL));

        JsonNode results = JSON.readTree(SnapshotStore.read(new Path(output, "twotower_results.json")));
        SnapshotStore store = new SnapshotStore(new Path(output), "s3-run");
        Long latest = store.latestSequence();
        assertThat(latest).isNotNull();
        assertThat(store.verify(latest)).isEmpty();
        JsonNode manifest = store.manifest(latest);
        assertThat(manifest.get("epoch").asInt()).as("LATEST is the best epoch").isEqualTo(results.get("best_epoch").asInt());
        assertThat(results.get("best_snapshot").asText()).isEqualTo(store.snapshotDir(latest).toString());
        assertThat(manifest.get("format_version").asInt()).isEqualTo(1);
        assertThat(manifest.get("num_users").asInt()).isEqualTo(160);
        assertThat(manifest.get("num_items").asInt()).isEqualTo(200);
        assertThat(manifest.get("dimension").asInt()).isEqualTo(32);
        assertThat(manifest.get("dtype").asText()).isEqualTo("float32");
        assertThat(manifest.get("config").get("d_model").asInt()).isEqualTo(32);
        assertThat(store.sequences()).as("keep-snapshots 2").hasSizeLessThanOrEqualTo(2).contains(latest);
        String manifestText = new String(SnapshotStore.read(new Path(store.snapshotDir(latest), "manifest.json")),
                StandardCharsets.UTF_8);
        assertThat(manifestText).doesNotContain(S3TestServer.SECRET_KEY).doesNotContain("secret").doesNotContain("s3.");

        // What the server holds: the six files of each kept snapshot, LATEST, no leftovers (probes, .tmp files).
        String run = "train/snapshots/s3-run/";
        List<String> keys = new ArrayList<>();
        for (String k : S3TestServer.keys(bucket, "train/")) {
            if (!k.endsWith("/")) {
                keys.add(k);
            }
        }
        String folder = run + String.format("%06d/", latest);
        assertThat(keys).contains(run + "LATEST", "train/twotower_results.json", "train/training_curves.png",
                "train/training_curves.svg",
                folder + "user_embeddings.npy", folder + "item_embeddings.npy", folder + "model_parameters.chunked",
                folder + "customer_id_map.parquet", folder + "item_id_map.parquet", folder + "manifest.json");
        assertThat(keys).noneMatch(k -> k.contains(".tmp") || k.contains("probe"));
        assertThat(keys).hasSize(4 + 6 * store.sequences().size());

        byte[] users = SnapshotStore.read(new Path(store.snapshotDir(latest), "user_embeddings.npy"));
        assertThat(NpyFormat.shape(users)).containsExactly(160, 32);

        // The CLI, as a user runs it, with the S3 options as -D arguments.
        List<String> args = new ArrayList<>(List.of("snapshots", "verify", output));
        args.addAll(S3TestServer.flinkArgs(S3TestServer.SECRET_KEY));
        CliRunner verify = CliRunner.run(args.toArray(new String[0]));
        assertThat(verify.exitCode).isZero();
        assertThat(verify.out).contains("OK " + store.snapshotDir(latest) + " LATEST");
        args.set(1, "list");
        assertThat(CliRunner.run(args.toArray(new String[0])).out).contains("epoch=" + manifest.get("epoch").asInt());
    }

    @Test
    void retentionKeepsTheLastNAndNeverTheOneLatestNames() throws Exception {
        Path root = new Path("s3://" + bucket + "/retention");
        SnapshotStore moving = new SnapshotStore(root, "moving");
        for (long s = 1; s <= 6; s++) {
            moving.publish(s, files(s), fields(s), true, 3);
        }
        assertThat(moving.sequences()).containsExactly(4L, 5L, 6L);
        assertThat(moving.latestSequence()).isEqualTo(6L);

        SnapshotStore pinned = new SnapshotStore(root, "pinned");
        pinned.publish(1, files(1), fields(1), true, 3);
        for (long s = 2; s <= 6; s++) {
            pinned.publish(s, files(s), fields(s), false, 3);
        }
        assertThat(pinned.sequences()).containsExactly(1L, 5L, 6L);
        assertThat(pinned.latestSequence()).isEqualTo(1L);
        assertThat(pinned.verify(1)).isEmpty();

        // A folder left by an interrupted publication is not a snapshot: it goes at the next retention pass.
        Path orphan = new Path(moving.snapshotDir(7), "user_embeddings.npy");
        try (FSDataOutputStream out = orphan.getFileSystem().create(orphan, FileSystem.WriteMode.OVERWRITE)) {
            out.write(new byte[100]);
        }
        assertThat(moving.sequences()).containsExactly(4L, 5L, 6L, 7L);
        assertThat(moving.verify(7)).singleElement().asString().contains("incomplete");
        moving.publish(8, files(8), fields(8), true, 3);
        assertThat(moving.sequences()).containsExactly(5L, 6L, 8L);
        for (long s : moving.sequences()) {
            assertThat(moving.verify(s)).isEmpty();
        }
    }

    @Test
    void aMissingBucketFailsNamingTheUri() throws Exception {
        String missing = S3TestServer.missingBucket();
        String output = "s3://" + missing + "/out";
        assertThatThrownBy(() -> OutputLocationCheck.check(output))
                .isInstanceOf(IOException.class)
                .hasMessageStartingWith("cannot write to --output " + output + ": the bucket does not exist");
        assertThatThrownBy(() -> new SnapshotStore(new Path(output), "r").publish(1, files(1), fields(1), true, 3))
                .hasMessageStartingWith("cannot write snapshots under " + output + "/snapshots/r: the bucket does not exist");

        List<String> args = new ArrayList<>(List.of("snapshots", "verify", output));
        args.addAll(S3TestServer.flinkArgs(S3TestServer.SECRET_KEY));
        CliRunner verify = CliRunner.run(args.toArray(new String[0]));
        assertThat(verify.exitCode).isEqualTo(1);
        assertThat(verify.err).startsWith("error: cannot read snapshots under " + output + ": the bucket does not exist");

        // The job itself (until the client checks the output location first) fails in the trainer, naming it.
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(1);
        Throwable failure = catchThrowable(() -> TrainingJobITCase.run(env, options(output,
                SMALL.withValues(Map.of("epochs", 1), "test"))));
        assertThat(messages(failure)).anyMatch(m -> m.contains(output) && m.contains("the bucket does not exist"));
    }

    @Test
    void wrongCredentialsFailNamingTheUriAndNotTheSecret() throws Exception {
        String wrongSecret = "wrong-secret-4711";
        String output = "s3://" + bucket + "/creds";
        try {
            List<String> args = new ArrayList<>(List.of("snapshots", "verify", "s3://" + bucket + "/retention"));
            args.addAll(S3TestServer.flinkArgs(wrongSecret));
            CliRunner verify = CliRunner.run(args.toArray(new String[0]));
            assertThat(verify.exitCode).isEqualTo(1);
            assertThat(verify.err).startsWith("error: cannot read snapshots under s3://" + bucket + "/retention: access denied")
                    .contains("s3.secret-key").doesNotContain(wrongSecret);

            // The same configuration, now active in this JVM (the CLI initialised the file systems with it).
            Throwable check = catchThrowable(() -> OutputLocationCheck.check(output));
            assertThat(check).hasMessageStartingWith("cannot write to --output " + output + ": access denied");
            assertThat(messages(check)).noneMatch(m -> m.contains(wrongSecret));
        } finally {
            S3TestServer.useFromFlink();
        }
        OutputLocationCheck.check(output);
    }

    static List<String> messages(Throwable t) {
        List<String> out = new ArrayList<>();
        for (Throwable e = t; e != null; e = e.getCause()) {
            out.add(String.valueOf(e.getMessage()));
        }
        return out;
    }

    static Map<String, byte[]> files(long seed) {
        float[] values = new float[4 * 3];
        for (int i = 0; i < values.length; i++) {
            values[i] = seed + i / 100f;
        }
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("user_embeddings.npy", NpyFormat.encode(values, 4, 3));
        files.put("item_embeddings.npy", NpyFormat.encode(values, 4, 3));
        return files;
    }

    static ObjectNode fields(long step) {
        ObjectNode fields = JsonNodeFactory.instance.objectNode();
        fields.put("step", step).put("epoch", (int) step).put("num_users", 4).put("num_items", 4)
                .put("dimension", 3).put("dtype", "float32");
        return fields;
    }
}
