package io.twotower.connectors.snapshot;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.flink.core.fs.FSDataInputStream;
import org.apache.flink.core.fs.FSDataOutputStream;
import org.apache.flink.core.fs.FileStatus;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Embedding snapshots on any Flink file system, published so that a reader never sees a half-written
 * one: {@code <root>/snapshots/<run-id>/<sequence>/} gets its files first and {@code manifest.json}
 * (sizes and SHA-256 of every file) last; then the run's {@code LATEST} pointer moves to it. Readers
 * trust only snapshots whose manifest checksums match. See docs/snapshot-format.md.
 */
public final class SnapshotStore {
    /** Version of the on-disk layout and manifest; bumped on incompatible changes. */
    public static final int FORMAT_VERSION = 1;
    public static final String MANIFEST = "manifest.json";
    public static final String LATEST = "LATEST";
    private static final Logger LOG = LoggerFactory.getLogger(SnapshotStore.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path runDir;
    private final String runId;

    public SnapshotStore(Path outputRoot, String runId) {
        this.runId = runId;
        this.runDir = new Path(new Path(outputRoot, "snapshots"), runId);
    }

    /** The folder of the run's snapshots. */
    public Path runDir() {
        return runDir;
    }

    public Path snapshotDir(long sequence) {
        return new Path(runDir, String.format("%06d", sequence));
    }

    /**
     * Writes {@code files} (name to bytes), then the manifest with {@code fields} plus format version,
     * run id, sequence and per-file size and checksum, then points LATEST at it when {@code makeLatest}.
     * Finally keeps only the last {@code keepLast} snapshots (never the one LATEST names).
     */
    public Path publish(long sequence, Map<String, byte[]> files, ObjectNode fields, boolean makeLatest, int keepLast)
            throws IOException {
        Path dir = snapshotDir(sequence);
        FileSystem fs = dir.getFileSystem();
        try {
            fs.mkdirs(dir);
        } catch (IOException e) {
            throw new IOException("cannot write snapshots under " + runDir + ": " + e.getMessage(), e);
        }
        // A manifest left by an interrupted earlier attempt of this sequence must not vouch for new files.
        fs.delete(new Path(dir, MANIFEST), false);
        ObjectNode manifest = JSON.createObjectNode();
        manifest.put("format_version", FORMAT_VERSION);
        manifest.put("run_id", runId);
        manifest.put("sequence", sequence);
        manifest.setAll(fields);
        ArrayNode list = manifest.putArray("files");
        for (Map.Entry<String, byte[]> f : files.entrySet()) {
            write(new Path(dir, f.getKey()), f.getValue());
            list.addObject().put("name", f.getKey()).put("size", f.getValue().length).put("sha256", sha256(f.getValue()));
        }
        write(new Path(dir, MANIFEST), JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(manifest));
        if (makeLatest) {
            // Write aside, then rename: a reader sees the old pointer or the new one, never a partial one.
            Path tmp = new Path(runDir, LATEST + ".tmp");
            write(tmp, (String.format("%06d", sequence) + "\n").getBytes(StandardCharsets.UTF_8));
            fs.delete(new Path(runDir, LATEST), false);
            if (!fs.rename(tmp, new Path(runDir, LATEST))) {
                throw new IOException("could not move " + tmp + " to " + new Path(runDir, LATEST));
            }
        }
        LOG.info("Published snapshot {}{}", dir, makeLatest ? " (LATEST)" : "");
        applyRetention(keepLast);
        return dir;
    }

    private void applyRetention(int keepLast) throws IOException {
        if (keepLast <= 0) {
            return;
        }
        List<Long> sequences = sequences();
        Long latest = latestSequence();
        int excess = sequences.size() - keepLast;
        for (int i = 0; i < sequences.size() && excess > 0; i++) {
            long s = sequences.get(i);
            if (latest != null && s == latest) {
                continue;
            }
            snapshotDir(s).getFileSystem().delete(snapshotDir(s), true);
            excess--;
        }
    }

    /** All snapshot sequences of the run, ascending (complete or not). */
    public List<Long> sequences() throws IOException {
        FileSystem fs = runDir.getFileSystem();
        List<Long> out = new ArrayList<>();
        if (!fs.exists(runDir)) {
            return out;
        }
        FileStatus[] children = fs.listStatus(runDir);
        if (children == null) {
            return out;
        }
        for (FileStatus s : children) {
            String name = s.getPath().getName();
            if (s.isDir() && name.matches("\\d+")) {
                out.add(Long.parseLong(name));
            }
        }
        out.sort(Long::compare);
        return out;
    }

    /** The sequence LATEST names, or null when there is none yet. */
    public Long latestSequence() throws IOException {
        Path latest = new Path(runDir, LATEST);
        FileSystem fs = latest.getFileSystem();
        if (!fs.exists(latest)) {
            return null;
        }
        String text = new String(read(latest), StandardCharsets.UTF_8).trim();
        try {
            return Long.parseLong(text);
        } catch (NumberFormatException e) {
            throw new IOException(latest + ": expected a snapshot sequence number, found '" + text + "'");
        }
    }

    /** The manifest of a snapshot, or null when it has none (never completed). */
    public JsonNode manifest(long sequence) throws IOException {
        Path m = new Path(snapshotDir(sequence), MANIFEST);
        if (!m.getFileSystem().exists(m)) {
            return null;
        }
        return JSON.readTree(read(m));
    }

    /** Checks every file's size and checksum against the manifest; returns the problems found (none: valid). */
    public List<String> verify(long sequence) throws IOException {
        List<String> problems = new ArrayList<>();
        JsonNode manifest = manifest(sequence);
        Path dir = snapshotDir(sequence);
        if (manifest == null) {
            problems.add(dir + ": no manifest.json (incomplete snapshot)");
            return problems;
        }
        Map<String, int[]> shapes = new LinkedHashMap<>();
        for (JsonNode f : manifest.get("files")) {
            Path p = new Path(dir, f.get("name").asText());
            if (!p.getFileSystem().exists(p)) {
                problems.add(p + ": missing");
                continue;
            }
            byte[] bytes = read(p);
            if (bytes.length != f.get("size").asLong()) {
                problems.add(p + ": size " + bytes.length + " != manifest " + f.get("size").asLong());
            } else if (!sha256(bytes).equals(f.get("sha256").asText())) {
                problems.add(p + ": checksum does not match the manifest");
            } else if (p.getName().endsWith(".npy")) {
                try {
                    shapes.put(p.getName(), NpyFormat.shape(bytes));
                } catch (IOException e) {
                    problems.add(p + ": " + e.getMessage());
                }
            }
        }
        checkShape(problems, dir, shapes.get("user_embeddings.npy"), manifest.path("num_users").asInt(-1), manifest);
        checkShape(problems, dir, shapes.get("item_embeddings.npy"), manifest.path("num_items").asInt(-1), manifest);
        return problems;
    }

    private static void checkShape(List<String> problems, Path dir, int[] shape, int rows, JsonNode manifest) {
        if (shape == null || rows < 0) {
            return;
        }
        int dim = manifest.path("dimension").asInt(-1);
        if (shape[0] != rows || shape[1] != dim) {
            problems.add(String.format("%s: embeddings of shape (%d, %d), manifest says (%d, %d)",
                    dir, shape[0], shape[1], rows, dim));
        }
    }

    static void write(Path path, byte[] bytes) throws IOException {
        try (FSDataOutputStream out = path.getFileSystem().create(path, FileSystem.WriteMode.OVERWRITE)) {
            out.write(bytes);
        } catch (IOException e) {
            throw new IOException("cannot write " + path + ": " + e.getMessage(), e);
        }
    }

    public static byte[] read(Path path) throws IOException {
        try (FSDataInputStream in = path.getFileSystem().open(path)) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            byte[] buf = new byte[1 << 16];
            int n;
            while ((n = in.read(buf)) > 0) {
                out.write(buf, 0, n);
            }
            return out.toByteArray();
        }
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
