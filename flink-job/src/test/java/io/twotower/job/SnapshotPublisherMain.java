package io.twotower.job;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.twotower.connectors.snapshot.NpyFormat;
import io.twotower.connectors.snapshot.SnapshotStore;
import io.twotower.job.cli.FlinkEnvironments;
import org.apache.flink.core.fs.Path;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/**
 * A process that publishes snapshot after snapshot with large files, for {@link SnapshotKillITCase} to kill
 * mid-publication. Args: output-uri run-id rows [-Dflink.option=value ...]. Prints "publishing N" and
 * "published N" around each publication.
 */
public final class SnapshotPublisherMain {
    static final int DIMENSION = 64;

    private SnapshotPublisherMain() {}

    public static void main(String[] args) throws Exception {
        Map<String, String> flink = new LinkedHashMap<>();
        for (int i = 3; i < args.length; i++) {
            String kv = args[i].substring(2);
            flink.put(kv.substring(0, kv.indexOf('=')), kv.substring(kv.indexOf('=') + 1));
        }
        FlinkEnvironments.initializeFileSystems(flink);
        SnapshotStore store = new SnapshotStore(new Path(args[0]), args[1]);
        int rows = Integer.parseInt(args[2]);
        for (long sequence = 1; ; sequence++) {
            Map<String, byte[]> files = files(sequence, rows);
            System.out.println("publishing " + sequence);
            store.publish(sequence, files, fields(sequence, rows), true, 3);
            System.out.println("published " + sequence);
        }
    }

    static Map<String, byte[]> files(long sequence, int rows) {
        Random random = new Random(sequence);
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("user_embeddings.npy", NpyFormat.encode(vectors(random, rows), rows, DIMENSION));
        files.put("item_embeddings.npy", NpyFormat.encode(vectors(random, rows), rows, DIMENSION));
        byte[] parameters = new byte[rows * 32];
        random.nextBytes(parameters);
        files.put("model_parameters.chunked", parameters);
        return files;
    }

    static float[] vectors(Random random, int rows) {
        float[] values = new float[rows * DIMENSION];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) random.nextGaussian();
        }
        return values;
    }

    static ObjectNode fields(long sequence, int rows) {
        ObjectNode fields = JsonNodeFactory.instance.objectNode();
        fields.put("step", sequence * 100).put("epoch", (int) sequence).put("num_users", rows).put("num_items", rows)
                .put("dimension", DIMENSION).put("dtype", "float32");
        fields.putObject("metrics").put("Recall@10", 0.01 * sequence);
        return fields;
    }
}
