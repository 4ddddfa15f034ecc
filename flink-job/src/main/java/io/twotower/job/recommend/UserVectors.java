package io.twotower.job.recommend;

import io.twotower.connectors.snapshot.NpyReader;
import org.apache.flink.core.fs.FSDataInputStream;
import org.apache.flink.core.fs.Path;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;

/** A user's vector as the snapshot stores it: row {@code user_idx} of {@code user_embeddings.npy}. */
public final class UserVectors {
    private UserVectors() {}

    /** Row {@code user} of the snapshot's user matrix, read without holding the other rows. */
    public static float[] row(RecommendSnapshot snapshot, int user) throws IOException {
        Path path = snapshot.userEmbeddings();
        try (FSDataInputStream in = path.getFileSystem().open(path)) {
            NpyReader rows = NpyReader.open(in, path.toString())
                    .requireShape(snapshot.numUsers(), snapshot.dimension());
            // Unbuffered: the skip is a seek on file systems that can seek.
            rows.skipRows(user);
            float[] vector = new float[snapshot.dimension()];
            rows.readRow(vector);
            return vector;
        }
    }

    /** Opens a snapshot file for one sequential pass. */
    static InputStream openBuffered(Path path) throws IOException {
        return new BufferedInputStream(path.getFileSystem().open(path), 1 << 16);
    }
}
