package io.twotower.job;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.MiniClusterExtension;

/** The MiniCluster of the ITCases: loopback only, with a slot for the trainer's own slot-sharing group. */
final class MiniClusters {
    private MiniClusters() {}

    static MiniClusterExtension withTrainerSlot() {
        Configuration conf = new Configuration();
        for (String key : new String[] {"rest.bind-address", "rest.address", "jobmanager.bind-host",
                "jobmanager.rpc.address", "taskmanager.bind-host", "taskmanager.host"}) {
            conf.setString(key, "127.0.0.1");
        }
        // parquet-hadoop caches codecs statically across jobs of one MiniCluster (FACTS.md).
        conf.setString("classloader.check-leaked-classloader", "false");
        return new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
                .setConfiguration(conf)
                .setNumberTaskManagers(1)
                .setNumberSlotsPerTaskManager(3)
                .build());
    }
}
