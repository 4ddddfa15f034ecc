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

    public static Configuration configuration(Map<String, String> flinkOptions) {
        Configuration conf = new Configuration();
        String confDir = System.getenv("FLINK_CONF_DIR");
        if (confDir != null && new File(confDir, "config.yaml").isFile()) {
            conf.addAll(GlobalConfiguration.loadConfiguration(confDir));
        }
        flinkOptions.forEach(conf::setString);
        return conf;
    }

    public static StreamExecutionEnvironment create(Map<String, String> flinkOptions) {
        Configuration conf = configuration(flinkOptions);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        if (!(env instanceof LocalStreamEnvironment)) {
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
        // The embedded cluster runs in this JVM: its file systems (s3://, ...) must see the same options.
        FileSystem.initialize(conf, PluginUtils.createPluginManagerFromRootFolder(conf));
        return StreamExecutionEnvironment.createLocalEnvironment(conf);
    }
}
