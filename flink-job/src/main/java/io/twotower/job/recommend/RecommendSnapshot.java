package io.twotower.job.recommend;

import com.fasterxml.jackson.databind.JsonNode;
import io.twotower.connectors.dataset.DatasetLayout;
import io.twotower.connectors.snapshot.SnapshotLocation;
import io.twotower.connectors.snapshot.SnapshotStore;
import io.twotower.job.train.EmbeddingExport;
import org.apache.flink.core.fs.Path;

import java.io.IOException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Locale;

/**
 * The snapshot {@code recommend} reads, verified against its manifest as {@code snapshots verify} does: the
 * folder a URI names, its run's LATEST, or for a job's output folder the LATEST of the run published last.
 */
public final class RecommendSnapshot {
    private final Path folder;
    private final JsonNode manifest;
    private final boolean viaLatest;

    private RecommendSnapshot(Path folder, JsonNode manifest, boolean viaLatest) {
        this.folder = folder;
        this.manifest = manifest;
        this.viaLatest = viaLatest;
    }

    /**
     * Chooses the snapshot {@code uri} names and verifies every file's size and SHA-256 against its manifest. One
     * chosen through LATEST that does not verify may have been replaced meanwhile: LATEST is read again, up to
     * {@code attempts} times, as docs/snapshot-format.md tells a reader.
     */
    public static RecommendSnapshot open(Path uri, int attempts) throws IOException {
        for (int attempt = 1; ; attempt++) {
            Choice choice = choose(uri);
            JsonNode manifest = SnapshotStore.manifestIn(choice.folder);
            List<String> problems = manifest == null
                    ? List.of(choice.folder + ": no " + SnapshotStore.MANIFEST + " (an incomplete snapshot)")
                    : SnapshotStore.verifyFolder(choice.folder);
            if (problems.isEmpty()) {
                return new RecommendSnapshot(choice.folder, manifest, choice.viaLatest);
            }
            if (!choice.viaLatest || attempt >= attempts) {
                throw new IOException(choice.folder + " does not verify against its manifest: "
                        + String.join("; ", problems));
            }
        }
    }

    /**
     * Whether the manifest still is the one verified. A publication or a retention pass removes the manifest
     * before it touches a snapshot's files, so an unchanged manifest means every file read since was verified.
     */
    public boolean unchanged() throws IOException {
        return manifest.equals(SnapshotStore.manifestIn(folder));
    }

    /** Whether the snapshot was chosen through a LATEST pointer (another try may find a newer one). */
    public boolean viaLatest() {
        return viaLatest;
    }

    public Path folder() {
        return folder;
    }

    public JsonNode manifest() {
        return manifest;
    }

    public Path file(String name) {
        return new Path(folder, name);
    }

    public Path userEmbeddings() {
        return file(EmbeddingExport.USER_EMBEDDINGS);
    }

    public Path itemEmbeddings() {
        return file(EmbeddingExport.ITEM_EMBEDDINGS);
    }

    public Path userMap() {
        return file(DatasetLayout.USER_MAP);
    }

    public Path itemMap() {
        return file(DatasetLayout.ITEM_MAP);
    }

    public int numUsers() {
        return manifest.path("num_users").asInt();
    }

    public int numItems() {
        return manifest.path("num_items").asInt();
    }

    public int dimension() {
        return manifest.path("dimension").asInt();
    }

    /** The settings of a user tower that reads histories ({@code manifest.user_tower}), or null for the seed model. */
    public JsonNode userTower() {
        JsonNode tower = manifest.get("user_tower");
        return tower == null || tower.isNull() ? null : tower;
    }

    /** One line for a person: where the snapshot is and what it is. */
    public String describe() {
        JsonNode tower = userTower();
        return String.format(Locale.ROOT, "%s (run %s, sequence %s, %s %s%s, model %s)", folder,
                manifest.path("run_id").asText(), manifest.path("sequence").asText(),
                manifest.has("epoch") ? "epoch" : "window",
                manifest.has("epoch") ? manifest.path("epoch").asText() : manifest.path("window").asText(),
                recalls(), tower == null ? "seed" : tower.path("kind").asText(UserVectors.HISTORY_KIND)
                        + ", input " + tower.path("input").asText());
    }

    private String recalls() {
        StringBuilder out = new StringBuilder();
        manifest.path("metrics").fields().forEachRemaining(e -> {
            if (e.getKey().startsWith("Recall@")) {
                out.append(String.format(Locale.ROOT, ", %s %.4f", e.getKey(), e.getValue().asDouble()));
            }
        });
        return out.toString();
    }

    private static final class Choice {
        final Path folder;
        final boolean viaLatest;

        Choice(Path folder, boolean viaLatest) {
            this.folder = folder;
            this.viaLatest = viaLatest;
        }
    }

    private static Choice choose(Path uri) throws IOException {
        List<SnapshotLocation> locations = SnapshotLocation.resolve(uri);
        if (locations.size() == 1 && locations.get(0).sequence() != null) {
            SnapshotLocation only = locations.get(0);
            return new Choice(only.store().snapshotDir(only.sequence()), false);
        }
        // Of several runs, the one whose LATEST snapshot was published last: run ids are names, not times.
        Path newest = null;
        Instant newestTime = null;
        for (SnapshotLocation location : locations) {
            Long latest = location.store().latestSequence();
            if (latest == null) {
                continue;
            }
            Instant created = createdAt(location.store(), latest);
            if (newest == null || created.isAfter(newestTime)) {
                newest = location.store().snapshotDir(latest);
                newestTime = created;
            }
        }
        if (newest == null) {
            throw new IOException(uri + ": no run under it has a " + SnapshotStore.LATEST
                    + " snapshot yet (nothing published, or every publication was interrupted)");
        }
        return new Choice(newest, true);
    }

    private static Instant createdAt(SnapshotStore store, long sequence) throws IOException {
        JsonNode manifest = store.manifest(sequence);
        String text = manifest == null ? "" : manifest.path("created_at").asText("");
        try {
            return Instant.parse(text);
        } catch (DateTimeParseException e) {
            // LATEST names a folder without a (readable) time: rank it last; verification reports what is wrong.
            return Instant.MIN;
        }
    }
}
