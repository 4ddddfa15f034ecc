package io.twotower.job.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import io.twotower.connectors.snapshot.StorageErrors;
import io.twotower.model.ChunkedArrays;
import io.twotower.model.TwoTowerConfig;
import io.twotower.model.TwoTowerModel;
import org.apache.flink.core.fs.FSDataInputStream;
import org.apache.flink.core.fs.Path;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;

/**
 * A snapshot's weights, what warm starts and {@code final_recall} read back. Written as {@link #FILE}: every
 * array in bounded row chunks ({@link ChunkedArrays}), so a table of any size streams out and back into libtorch
 * memory without a table-sized array on the heap. DJL's {@code NDList} encoding, which snapshots had before as
 * {@link #LEGACY_FILE}, cannot hold them: it prefixes each array with an int byte count (2 GB at most; a 10M x 64
 * table is 2.56 GB). Snapshots with the legacy file still read. Layout in docs/snapshot-format.md.
 */
public final class SnapshotParameters {
    public static final String FILE = "model_parameters.chunked";
    /** The weights of snapshots written before {@link #FILE}: DJL's {@code NDList.encode()}. */
    public static final String LEGACY_FILE = "model_parameters.ndlist";
    static final String MAGIC = "twotower-model-parameters";
    /** Version of {@link #FILE}'s layout; bumped on incompatible changes. */
    static final int VERSION = 1;

    private SnapshotParameters() {}

    /** Writes every parameter of {@code model}, named as {@link TwoTowerModel#names()}, to {@code out}. */
    public static void write(TwoTowerModel model, OutputStream out, int chunkBytes) throws IOException {
        DataOutputStream data = new DataOutputStream(out);
        data.writeUTF(MAGIC);
        data.writeInt(VERSION);
        NDArray[] parameters = model.parameters();
        String[] names = model.names();
        // ChunkedArrays' list layout (count, then name and array each), so readList reads it back.
        data.writeInt(parameters.length);
        for (int i = 0; i < parameters.length; i++) {
            data.writeUTF(names[i]);
            ChunkedArrays.write(data, parameters[i], chunkBytes);
        }
        data.flush();
    }

    /**
     * The model stored in {@code snapshot} (a verified snapshot folder), its arrays in {@code manager}: from
     * {@link #FILE}, chunk by chunk, or else from a {@link #LEGACY_FILE}.
     */
    public static TwoTowerModel read(Path snapshot, NDManager manager, TwoTowerConfig config) throws IOException {
        Path file = new Path(snapshot, FILE);
        Path legacy = new Path(snapshot, LEGACY_FILE);
        try {
            if (!file.getFileSystem().exists(file) && legacy.getFileSystem().exists(legacy)) {
                try (FSDataInputStream in = legacy.getFileSystem().open(legacy)) {
                    // DJL reads each array into a direct buffer of its size (at most 2 GB by its format), not the heap.
                    return TwoTowerModel.of(manager, config, NDList.decode(manager, new BufferedInputStream(in, 1 << 16)));
                }
            }
            try (FSDataInputStream in = file.getFileSystem().open(file)) {
                DataInputStream data = new DataInputStream(new BufferedInputStream(in, 1 << 16));
                String magic = data.readUTF();
                int version = data.readInt();
                if (!MAGIC.equals(magic) || version != VERSION) {
                    throw new IOException(file + ": not a model parameters file this build reads (magic '" + magic
                            + "', version " + version + ", expected '" + MAGIC + "' version " + VERSION + ")");
                }
                NDList parameters = ChunkedArrays.readList(data, manager);
                int expected = TwoTowerModel.parameterNames(config).length;
                if (parameters.size() != expected) {
                    parameters.close();
                    throw new IOException(file + ": " + parameters.size() + " arrays, a model: " + config.model()
                            + " of this configuration has " + expected);
                }
                return TwoTowerModel.ofNative(manager, config, parameters);
            }
        } catch (IOException e) {
            throw StorageErrors.describe("cannot read the weights in", snapshot, e);
        }
    }
}
