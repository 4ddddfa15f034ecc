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

import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import static org.apache.flink.util.Preconditions.checkArgument;

/**
 * Embedding snapshots on any Flink file system, published so that a reader never sees a half-written
 * one: {@code <root>/snapshots/<run-id>/<sequence>/} gets its files first and {@code manifest.json}
 * (sizes and SHA-256 of every file) last; then the run's {@code LATEST} pointer moves to it. Readers
 * trust only snapshots whose manifest checksums match. One writer per run. See docs/snapshot-format.md.
 */
public final class SnapshotStore {
    /** Version of the on-disk layout and manifest; bumped on incompatible changes. */
    public static final int FORMAT_VERSION = 1;
    public static final String MANIFEST = "manifest.json";
    public static final String LATEST = "LATEST";
    /**
     * Schemes of object stores: an object becomes visible whole when its upload completes, so small files are
     * written in place; elsewhere they are written aside and renamed (atomic on a local file system).
     */
    private static final Set<String> OBJECT_STORE_SCHEMES = Set.of("s3", "s3a", "s3p", "s3n", "gs", "oss");
    private static final Logger LOG = LoggerFactory.getLogger(SnapshotStore.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path runDir;
    private final String runId;

    public SnapshotStore(Path outputRoot, String runId) {
        checkArgument(runId != null && !runId.isBlank() && !runId.contains("/"),
                "a run id must be a non-empty name without '/', got '%s'", runId);
        this.runId = runId;
        this.runDir = new Path(new Path(outputRoot, "snapshots"), runId);
    }

    /** The folder of the run's snapshots. */
    public Path runDir() {
        return runDir;
    }

    public String runId() {
        return runId;
    }

    public Path snapshotDir(long sequence) {
        return new Path(runDir, String.format(Locale.ROOT, "%06d", sequence));
    }

    /** Writes the content of one snapshot file into {@code out}, which the store opened and closes. */
    @FunctionalInterface
    public interface FileWriter {
        void writeTo(OutputStream out) throws IOException;

        /** A small file whose bytes are at hand. */
        static FileWriter of(byte[] bytes) {
            return out -> out.write(bytes);
        }
    }

    /**
     * Writes {@code files} (name to bytes), then the manifest with {@code fields} plus format version,
     * run id, sequence and per-file size and checksum, then points LATEST at it when {@code makeLatest}.
     * Finally keeps only {@code keepLast} complete snapshots (LATEST's among them; 0 keeps all).
     */
    public Path publish(long sequence, Map<String, byte[]> files, ObjectNode fields, boolean makeLatest, int keepLast)
            throws IOException {
        Map<String, FileWriter> writers = new LinkedHashMap<>();
        files.forEach((name, bytes) -> writers.put(name, FileWriter.of(bytes)));
        return publishStreaming(sequence, writers, fields, makeLatest, keepLast);
    }

    /**
     * {@link #publish} with each file streamed by its writer, in map order: its size and SHA-256 are taken as the
     * bytes pass, so no file is ever held whole, however large the tables. Same layout, manifest and rules.
     */
    public Path publishStreaming(long sequence, Map<String, FileWriter> files, ObjectNode fields, boolean makeLatest,
            int keepLast) throws IOException {
        checkArgument(sequence > 0, "snapshot sequences start at 1, got %s", sequence);
        checkArgument(!files.containsKey(MANIFEST), "a snapshot file may not be named %s", MANIFEST);
        for (String reserved : List.of("format_version", "run_id", "sequence", "files")) {
            checkArgument(!fields.has(reserved), "manifest field '%s' is set by the store", reserved);
        }
        Path dir = snapshotDir(sequence);
        Path manifestPath = new Path(dir, MANIFEST);
        try {
            FileSystem fs = dir.getFileSystem();
            Long latest = readLatest();
            if (latest != null && latest == sequence) {
                // A job restored from a checkpoint publishes again under a sequence it had published before the
                // failure. LATEST must not name a snapshot whose files are being replaced: step it back first.
                pointLatestAtNewestCompleteBefore(sequence);
            }
            fs.mkdirs(dir);
            // A manifest left by an earlier attempt of this sequence must not vouch for the new files.
            fs.delete(manifestPath, false);
        } catch (IOException e) {
            throw StorageErrors.describe("cannot write snapshots under", runDir, e);
        }
        ObjectNode manifest = JSON.createObjectNode();
        manifest.put("format_version", FORMAT_VERSION);
        manifest.put("run_id", runId);
        manifest.put("sequence", sequence);
        manifest.setAll(fields);
        ArrayNode list = manifest.putArray("files");
        for (Map.Entry<String, FileWriter> f : files.entrySet()) {
            WrittenFile written = write(new Path(dir, f.getKey()), f.getValue());
            list.addObject().put("name", f.getKey()).put("size", written.size).put("sha256", written.sha256);
        }
        writeAtomically(manifestPath, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(manifest));
        if (makeLatest) {
            writeAtomically(new Path(runDir, LATEST), pointer(sequence));
        }
        LOG.info("Published snapshot {}{}", dir, makeLatest ? " (LATEST)" : "");
        try {
            applyRetention(keepLast);
        } catch (IOException e) {
            throw StorageErrors.describe("published " + dir + ", but cannot delete older snapshots under", runDir, e);
        }
        return dir;
    }

    private void pointLatestAtNewestCompleteBefore(long sequence) throws IOException {
        Path latest = new Path(runDir, LATEST);
        List<Long> sequences = listSequences();
        for (int i = sequences.size() - 1; i >= 0; i--) {
            long s = sequences.get(i);
            if (s < sequence && hasManifest(s)) {
                writeAtomically(latest, pointer(s));
                return;
            }
        }
        latest.getFileSystem().delete(latest, false);
    }

    private void applyRetention(int keepLast) throws IOException {
        if (keepLast <= 0) {
            return;
        }
        List<Long> sequences = listSequences();
        Set<Long> keep = new LinkedHashSet<>();
        Long latest = readLatest();
        if (latest != null) {
            keep.add(latest);
        }
        for (int i = sequences.size() - 1; i >= 0 && keep.size() < keepLast; i--) {
            if (hasManifest(sequences.get(i))) {
                keep.add(sequences.get(i));
            }
        }
        // Everything else goes, including folders of publications that were interrupted (no manifest).
        for (long s : sequences) {
            if (!keep.contains(s)) {
                // The manifest first: a deletion cut short leaves an incomplete snapshot, never a corrupt one.
                FileSystem fs = snapshotDir(s).getFileSystem();
                fs.delete(new Path(snapshotDir(s), MANIFEST), false);
                fs.delete(snapshotDir(s), true);
                LOG.info("Deleted snapshot {} (keeping the last {})", snapshotDir(s), keepLast);
            }
        }
    }

    /** All snapshot sequences of the run, ascending (complete or not). */
    public List<Long> sequences() throws IOException {
        try {
            return listSequences();
        } catch (IOException e) {
            throw StorageErrors.describe("cannot list snapshots under", runDir, e);
        }
    }

    private List<Long> listSequences() throws IOException {
        List<Long> out = new ArrayList<>();
        FileSystem fs = runDir.getFileSystem();
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
        try {
            return readLatest();
        } catch (IOException e) {
            throw StorageErrors.describe("cannot read", new Path(runDir, LATEST), e);
        }
    }

    private Long readLatest() throws IOException {
        Path latest = new Path(runDir, LATEST);
        if (!latest.getFileSystem().exists(latest)) {
            return null;
        }
        String text = new String(read(latest), StandardCharsets.UTF_8).trim();
        try {
            return Long.parseLong(text);
        } catch (NumberFormatException e) {
            throw new IOException("expected a snapshot sequence number, found '" + text + "'");
        }
    }

    /** The manifest of a snapshot, or null when it has none (never completed). */
    public JsonNode manifest(long sequence) throws IOException {
        return manifestIn(snapshotDir(sequence));
    }

    /** The manifest of the snapshot folder {@code dir}, or null when it has none. */
    public static JsonNode manifestIn(Path dir) throws IOException {
        Path m = new Path(dir, MANIFEST);
        byte[] bytes;
        try {
            if (!m.getFileSystem().exists(m)) {
                return null;
            }
            bytes = read(m);
        } catch (IOException e) {
            throw StorageErrors.describe("cannot read", m, e);
        }
        try {
            return JSON.readTree(bytes);
        } catch (IOException e) {
            throw new IOException(m + ": not a valid manifest: " + e.getMessage(), e);
        }
    }

    private boolean hasManifest(long sequence) throws IOException {
        Path m = new Path(snapshotDir(sequence), MANIFEST);
        return m.getFileSystem().exists(m);
    }

    /** Checks every file's size and checksum against the manifest; returns the problems found (none: valid). */
    public List<String> verify(long sequence) throws IOException {
        return verifyFolder(snapshotDir(sequence));
    }

    /** {@link #verify(long)} for a snapshot folder given by its path (e.g. what a warm start reads). */
    public static List<String> verifyFolder(Path dir) throws IOException {
        List<String> problems = new ArrayList<>();
        JsonNode manifest;
        try {
            manifest = manifestIn(dir);
        } catch (IOException e) {
            problems.add(e.getMessage());
            return problems;
        }
        if (manifest == null) {
            problems.add(dir + ": no manifest.json (incomplete snapshot)");
            return problems;
        }
        int version = manifest.path("format_version").asInt(-1);
        if (version != FORMAT_VERSION) {
            problems.add(String.format(Locale.ROOT, "%s: format_version %s, this reader knows %d", dir,
                    manifest.path("format_version"), FORMAT_VERSION));
            return problems;
        }
        if (!manifest.path("files").isArray()) {
            problems.add(dir + ": the manifest lists no files");
            return problems;
        }
        Map<String, int[]> shapes = new LinkedHashMap<>();
        for (JsonNode f : manifest.get("files")) {
            Path p = new Path(dir, f.path("name").asText());
            FileDigest file;
            try {
                if (!p.getFileSystem().exists(p)) {
                    problems.add(p + ": missing");
                    continue;
                }
                file = FileDigest.of(p);
            } catch (IOException e) {
                throw StorageErrors.describe("cannot read", p, e);
            }
            if (file.size != f.path("size").asLong(-1)) {
                problems.add(p + ": size " + file.size + " != manifest " + f.path("size").asLong(-1));
            } else if (!file.sha256.equals(f.path("sha256").asText())) {
                problems.add(p + ": checksum does not match the manifest");
            } else if (p.getName().endsWith(".npy")) {
                try {
                    shapes.put(p.getName(), NpyFormat.shape(file.head, file.size));
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
            problems.add(String.format(Locale.ROOT, "%s: embeddings of shape (%d, %d), manifest says (%d, %d)",
                    dir, shape[0], shape[1], rows, dim));
        }
    }

    static boolean isObjectStoreScheme(String scheme) {
        return OBJECT_STORE_SCHEMES.contains(scheme.toLowerCase(Locale.ROOT));
    }

    private static boolean isObjectStore(FileSystem fs) {
        String scheme = fs.getUri().getScheme();
        return scheme != null && isObjectStoreScheme(scheme);
    }

    private static byte[] pointer(long sequence) {
        return (String.format(Locale.ROOT, "%06d", sequence) + "\n").getBytes(StandardCharsets.UTF_8);
    }

    /** Replaces {@code path} so that a reader sees the old content or the new, never a partial file. */
    static void writeAtomically(Path path, byte[] bytes) throws IOException {
        FileSystem fs = path.getFileSystem();
        if (isObjectStore(fs)) {
            write(path, bytes);
            return;
        }
        Path aside = new Path(path.getParent(), "." + path.getName() + ".tmp");
        write(aside, bytes);
        if (!fs.rename(aside, path)) {
            // A file system whose rename does not replace (HDFS): a short window without the file.
            fs.delete(path, false);
            if (!fs.rename(aside, path)) {
                throw new IOException("could not move " + aside + " to " + path);
            }
        }
    }

    static void write(Path path, byte[] bytes) throws IOException {
        write(path, FileWriter.of(bytes));
    }

    /** Streams {@code writer}'s bytes into {@code path} (replaced), durably where the file system can sync. */
    private static WrittenFile write(Path path, FileWriter writer) throws IOException {
        try {
            FileSystem fs = path.getFileSystem();
            try (FSDataOutputStream out = fs.create(path, FileSystem.WriteMode.OVERWRITE)) {
                DigestStream digest = new DigestStream(out);
                BufferedOutputStream buffered = new BufferedOutputStream(digest, 1 << 16);
                writer.writeTo(new FilterOutputStream(buffered) {
                    @Override
                    public void write(byte[] b, int off, int len) throws IOException {
                        buffered.write(b, off, len);
                    }

                    @Override
                    public void close() throws IOException {
                        // The store closes the file, after the sync below.
                        buffered.flush();
                    }
                });
                buffered.flush();
                if (!isObjectStore(fs)) {
                    // On disk before the manifest that vouches for it; object stores persist on close.
                    out.sync();
                }
                return new WrittenFile(digest.size, HexFormat.of().formatHex(digest.digest.digest()));
            }
        } catch (IOException e) {
            throw StorageErrors.describe("cannot write", path, e);
        }
    }

    /** A file's size and SHA-256, as the manifest lists them. */
    private static final class WrittenFile {
        final long size;
        final String sha256;

        WrittenFile(long size, String sha256) {
            this.size = size;
            this.sha256 = sha256;
        }
    }

    /** Passes bytes on to the file and through SHA-256, counting them. */
    private static final class DigestStream extends FilterOutputStream {
        final MessageDigest digest = sha256Digest();
        long size;

        DigestStream(OutputStream out) {
            super(out);
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
            digest.update((byte) b);
            size++;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
            digest.update(b, off, len);
            size += len;
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

    /**
     * A file's size, SHA-256 and first {@link NpyFormat#MAX_HEADER_BYTES} bytes, read as a stream: verifying
     * a snapshot holds no whole file in memory, however large the catalog.
     */
    private static final class FileDigest {
        final long size;
        final String sha256;
        final byte[] head;

        private FileDigest(long size, String sha256, byte[] head) {
            this.size = size;
            this.sha256 = sha256;
            this.head = head;
        }

        static FileDigest of(Path path) throws IOException {
            MessageDigest digest = sha256Digest();
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            long size = 0;
            try (FSDataInputStream in = path.getFileSystem().open(path)) {
                byte[] buf = new byte[1 << 16];
                int n;
                while ((n = in.read(buf)) > 0) {
                    digest.update(buf, 0, n);
                    if (head.size() < NpyFormat.MAX_HEADER_BYTES) {
                        head.write(buf, 0, (int) Math.min(n, NpyFormat.MAX_HEADER_BYTES - head.size()));
                    }
                    size += n;
                }
            }
            return new FileDigest(size, HexFormat.of().formatHex(digest.digest()), head.toByteArray());
        }
    }

    private static MessageDigest sha256Digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String sha256(byte[] bytes) {
        return HexFormat.of().formatHex(sha256Digest().digest(bytes));
    }
}
