package io.twotower.job.cli;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.CoreOptions;
import org.apache.flink.configuration.GlobalConfiguration;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.plugin.PluginUtils;
import org.apache.flink.streaming.api.environment.LocalStreamEnvironment;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import java.io.File;
import java.util.Map;

/**
 * One code path for both ways to run: under {@code flink run} the cluster's context environment is used;
 * under {@code java -jar} an embedded Flink starts, configured as Flink's CLI would be
 * ({@code $FLINK_CONF_DIR/config.yaml}, then every {@code -Dkey=value}) and bound to loopback.
 */
public final class FlinkEnvironments {
    private static final String[][] LOOPBACK = {
        {"rest.bind-address", "127.0.0.1"}, {"rest.address", "127.0.0.1"},
        {"jobmanager.bind-host", "127.0.0.1"}, {"jobmanager.rpc.address", "127.0.0.1"},
        {"taskmanager.bind-host", "127.0.0.1"}, {"taskmanager.host", "127.0.0.1"},
    };

    private FlinkEnvironments() {}

    /** {@code $FLINK_CONF_DIR/config.yaml} (when there is one), overridden by {@code flinkOptions}. */
    public static Configuration configuration(Map<String, String> flinkOptions) {
        Configuration conf = new Configuration();
        String confDir = System.getenv("FLINK_CONF_DIR");
        if (confDir != null && new File(confDir, "config.yaml").isFile()) {
            conf.addAll(GlobalConfiguration.loadConfiguration(confDir));
        }
        flinkOptions.forEach(conf::setString);
        return conf;
    }

    /**
     * Configures Flink's file systems in this JVM ({@code s3.endpoint}, {@code s3.access-key}, ... from the
     * configuration and {@code flinkOptions}), as Flink's CLI and TaskManagers do; returns that configuration.
     * Needed wherever this JVM touches {@code s3://} itself: the client's checks, {@code snapshots}, and an
     * embedded cluster's tasks (they share this JVM's file systems).
     */
    public static Configuration initializeFileSystems(Map<String, String> flinkOptions) {
        Configuration conf = configuration(flinkOptions);
        initializeFileSystems(conf);
        return conf;
    }

    private static void initializeFileSystems(Configuration conf) {
        // The S3 file system bundles AWS SDK v1, which prints a deprecation banner with a stack trace to stderr.
        if (System.getProperty("aws.java.v1.disableDeprecationAnnouncement") == null) {
            System.setProperty("aws.java.v1.disableDeprecationAnnouncement", "true");
        }
        FileSystem.initialize(conf, PluginUtils.createPluginManagerFromRootFolder(conf));
    }

    public static StreamExecutionEnvironment create(Map<String, String> flinkOptions) {
        Configuration conf = configuration(flinkOptions);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        if (!(env instanceof LocalStreamEnvironment)) {
            // flink run: Flink's CLI has initialised the file systems from the cluster's configuration.
            return env;
        }
        for (String[] kv : LOOPBACK) {
            if (!conf.containsKey(kv[0])) {
                conf.setString(kv[0], kv[1]);
            }
        }
        if (!conf.containsKey("taskmanager.numberOfTaskSlots")) {
            // One slot per core for the data operators plus one for the trainer's own slot-sharing group.
            int parallelism = conf.getOptional(CoreOptions.DEFAULT_PARALLELISM)
                    .orElse(Runtime.getRuntime().availableProcessors());
            conf.setString("taskmanager.numberOfTaskSlots", Integer.toString(parallelism + 1));
            conf.set(CoreOptions.DEFAULT_PARALLELISM, parallelism);
        }
        if (!conf.containsKey("classloader.check-leaked-classloader")) {
            // Embedded, the job's classes are this JVM's own. Hadoop (s3://, Parquet) keeps the task's class
            // loader in static state and its shutdown hook uses it after the job: without this, the exit of
            // every s3:// run prints "Trying to access closed classloader".
            conf.setString("classloader.check-leaked-classloader", "false");
        }
        // The embedded cluster runs in this JVM: its file systems (s3://, ...) must see the same options.
        initializeFileSystems(conf);
        return StreamExecutionEnvironment.createLocalEnvironment(conf);
    }
}
