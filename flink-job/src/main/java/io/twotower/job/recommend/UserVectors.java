package io.twotower.job.recommend;

import com.fasterxml.jackson.databind.JsonNode;
import io.twotower.connectors.snapshot.NpyReader;
import org.apache.flink.core.fs.FSDataInputStream;
import org.apache.flink.core.fs.Path;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * A user's vector: as the snapshot stores it (row {@code user_idx} of {@code user_embeddings.npy}), or computed
 * from a history by the snapshot's user tower.
 */
public final class UserVectors {
    /** {@code manifest.user_tower.kind} of the history tower, also meant when {@code kind} is absent. */
    public static final String HISTORY_KIND = "history";

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

    /**
     * The user vector of a history (dense item indices, oldest first) by the tower {@code manifest.user_tower}
     * describes: its {@code kind} {@code sequence}, or the history tower (no {@code kind}, or {@code history}).
     */
    public static float[] ofHistory(RecommendSnapshot snapshot, int[] history) throws IOException {
        JsonNode tower = snapshot.userTower();
        String kind = tower.path("kind").asText(HISTORY_KIND);
        if (kind.equals(SequenceUserTower.KIND)) {
            return SequenceUserTower.load(snapshot, history).userVector(history);
        }
        if (kind.equals(HISTORY_KIND)) {
            return HistoryUserTower.load(snapshot, history).userVector(history);
        }
        throw new IOException(snapshot.file("manifest.json") + ": user_tower.kind '" + kind
                + "' is not a tower this reader knows (" + HISTORY_KIND + ", " + SequenceUserTower.KIND + ")");
    }

    /** Opens a snapshot file for one sequential pass. */
    static InputStream openBuffered(Path path) throws IOException {
        return new BufferedInputStream(path.getFileSystem().open(path), 1 << 16);
    }
}
