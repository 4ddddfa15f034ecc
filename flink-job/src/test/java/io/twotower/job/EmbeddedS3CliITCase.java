package io.twotower.job;

import io.twotower.connectors.snapshot.SnapshotStore;
import org.apache.flink.core.fs.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code twotower-job.jar} as a user runs it, in its own JVM: {@code prepare} into a bucket and {@code train} from
 * it to the bucket on the embedded Flink with the S3 options as {@code -D} arguments, then {@code snapshots verify} configured by {@code $FLINK_CONF_DIR/config.yaml}
 * and credentials from the AWS environment variables, and {@code recommend} from the bucket. The secret appears in
 * no log line and no manifest.
 */
class EmbeddedS3CliITCase {
    @TempDir
    java.nio.file.Path dir;

    @Test
    void trainsToABucketWithDashDOptionsAndVerifiesWithConfigYamlAndEnvironmentCredentials() throws Exception {
        String bucket = S3TestServer.createBucket("tt-cli");
        // Everything at INFO, Flink's own logging included, so that a leaked secret would show.
        java.nio.file.Path log4j = Files.writeString(dir.resolve("log4j2.properties"), String.join("\n",
                "rootLogger.level = INFO", "rootLogger.appenderRef.console.ref = console",
                "appender.console.type = Console", "appender.console.name = console",
                "appender.console.layout.type = PatternLayout", "appender.console.layout.pattern = %-5p %c{1} - %m%n"));
        List<String> jvm = List.of("-Xmx1g", "-Dlog4j.configurationFile=" + log4j.toUri(),
                "-Dlog4j2.configurationFile=" + log4j.toUri());

        java.nio.file.Path log = SyntheticInteractions.writeCsv(dir.resolve("log.csv"), 60, 80, 4, 12, 5);
        // prepare writes to the bucket too (its default layout, the compact one, which train then streams from it).
        String prepared = "s3://" + bucket + "/prepared";
        List<String> prepareArgs = new ArrayList<>(List.of("prepare", "--input", log.toString(), "--output", prepared));
        prepareArgs.addAll(S3TestServer.flinkArgs(S3TestServer.SECRET_KEY));
        JvmProcesses prepare = JvmProcesses.start(TwoTowerCli.class, jvm, Map.of(), prepareArgs.toArray(new String[0]));
        assertThat(prepare.await()).as(prepare.output()).isZero();
        assertThat(prepare.output()).contains("\"layout\":\"user-sequences\"").doesNotContain(S3TestServer.SECRET_KEY);

        String output = "s3://" + bucket + "/cli";
        List<String> train = new ArrayList<>(List.of("train", "--data", prepared,
                "--output", output, "--run-id", "cli", "--set", "d_model=16", "--set", "batch_size=64",
                "--set", "k_neg=5", "--set", "epochs=2", "--set", "lr=0.01"));
        train.addAll(S3TestServer.flinkArgs(S3TestServer.SECRET_KEY));
        JvmProcesses training = JvmProcesses.start(TwoTowerCli.class, jvm, Map.of(), train.toArray(new String[0]));
        int trainExit = training.await();
        String trainOutput = training.output();
        trainOutput.lines().filter(l -> l.startsWith("WARN") || l.startsWith("ERROR")).forEach(System.out::println);
        assertThat(trainExit).as(trainOutput).isZero();
        assertThat(trainOutput).as("Flink logs at INFO").contains("Starting Flink Mini Cluster");
        assertThat(trainOutput).contains("Trained 2 epochs").contains("Published snapshot " + output + "/snapshots/cli/")
                .doesNotContain(S3TestServer.SECRET_KEY)
                .doesNotContain("Trying to access closed classloader")
                .doesNotContain("AWS SDK for Java 1.x");

        S3TestServer.useFromFlink();
        Path preparedPath = new Path(prepared);
        assertThat(preparedPath.getFileSystem().exists(new Path(preparedPath, "dataset.json"))).isTrue();
        assertThat(preparedPath.getFileSystem().exists(new Path(preparedPath, "user_sequences/part-00000.parquet")))
                .isTrue();
        assertThat(preparedPath.getFileSystem().exists(new Path(preparedPath, "sequences_train.parquet"))).isFalse();
        SnapshotStore store = new SnapshotStore(new Path(output), "cli");
        Long latest = store.latestSequence();
        assertThat(latest).isNotNull();
        assertThat(store.verify(latest)).isEmpty();
        assertThat(new String(SnapshotStore.read(new Path(store.snapshotDir(latest), SnapshotStore.MANIFEST)),
                StandardCharsets.UTF_8)).doesNotContain(S3TestServer.SECRET_KEY).doesNotContain(S3TestServer.ACCESS_KEY);

        // No credentials in the configuration: S3A takes them from the environment.
        java.nio.file.Path conf = Files.createDirectories(dir.resolve("conf"));
        Files.writeString(conf.resolve("config.yaml"), "s3.endpoint: " + S3TestServer.endpoint()
                + "\ns3.path.style.access: true\n");
        Map<String, String> env = Map.of("FLINK_CONF_DIR", conf.toString(),
                "AWS_ACCESS_KEY_ID", S3TestServer.ACCESS_KEY, "AWS_SECRET_ACCESS_KEY", S3TestServer.SECRET_KEY);
        JvmProcesses verify = JvmProcesses.start(TwoTowerCli.class, jvm, env, "snapshots", "verify", output);
        assertThat(verify.await()).as(verify.output()).isZero();
        assertThat(verify.output()).contains("OK " + store.snapshotDir(latest) + " LATEST")
                .doesNotContain(S3TestServer.SECRET_KEY);

        // recommend reads the snapshot from the bucket the same way: verified, then streamed.
        JvmProcesses recommend = JvmProcesses.start(TwoTowerCli.class, jvm, env, "recommend", "--snapshot", output,
                "--user", "1000", "--k", "3");
        assertThat(recommend.await()).as(recommend.output()).isZero();
        assertThat(recommend.output()).contains("# snapshot " + store.snapshotDir(latest))
                .doesNotContain(S3TestServer.SECRET_KEY);
        assertThat(recommend.output().lines().filter(l -> l.matches(" +[1-3]  \\d+ +-?\\d\\.\\d{6}")))
                .as(recommend.output()).hasSize(3);

        Map<String, String> wrongEnv = Map.of("FLINK_CONF_DIR", conf.toString(),
                "AWS_ACCESS_KEY_ID", S3TestServer.ACCESS_KEY, "AWS_SECRET_ACCESS_KEY", "not-the-secret-0815");
        JvmProcesses denied = JvmProcesses.start(TwoTowerCli.class, jvm, wrongEnv, "snapshots", "verify", output);
        assertThat(denied.await()).isEqualTo(1);
        assertThat(denied.output()).contains("error: cannot read snapshots under " + output + ": access denied")
                .doesNotContain("not-the-secret-0815");
    }
}
