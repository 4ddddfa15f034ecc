package io.twotower.connectors.dataset;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.flink.core.fs.FSDataInputStream;
import org.apache.flink.core.fs.FSDataOutputStream;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.Path;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code dataset.json} of the compact layout: the part files of {@code user_sequences/} with their users,
 * interactions and training rows, and the history cap ({@code max_history}) the reader expands rows with, so that a
 * reader knows an epoch's size and the rows it will produce without a pass over the data.
 */
public final class DatasetManifest {
    public static final String LAYOUT_USER_SEQUENCES = "user_sequences";

    /** One part file of {@code user_sequences/}. */
    public static final class Part {
        public final String file;
        public final long users;
        public final long interactions;

        public Part(String file, long users, long interactions) {
            this.file = file;
            this.users = users;
            this.interactions = interactions;
        }
    }

    public final String layout;
    public final int maxHistory;
    public final List<Part> parts;

    public DatasetManifest(int maxHistory, List<Part> parts) {
        this.layout = LAYOUT_USER_SEQUENCES;
        this.maxHistory = maxHistory;
        this.parts = List.copyOf(parts);
    }

    /** Training rows: every training interaction is one row (its positive), with the items before it as history. */
    public long trainRows() {
        return parts.stream().mapToLong(p -> p.interactions).sum();
    }

    public void write(Path path) throws IOException {
        ObjectMapper json = new ObjectMapper();
        ObjectNode root = json.createObjectNode();
        root.put("layout", layout);
        root.put("max_history", maxHistory);
        root.put("train_rows", trainRows());
        ArrayNode array = root.putArray("parts");
        for (Part p : parts) {
            array.addObject().put("file", p.file).put("users", p.users).put("interactions", p.interactions);
        }
        try (FSDataOutputStream out = path.getFileSystem().create(path, FileSystem.WriteMode.OVERWRITE)) {
            out.write(json.writerWithDefaultPrettyPrinter().writeValueAsBytes(root));
        }
    }

    /** Reads {@code path}; fails naming the file and the field that is missing or wrong. */
    public static DatasetManifest read(Path path) throws IOException {
        JsonNode root;
        try (FSDataInputStream in = path.getFileSystem().open(path)) {
            root = new ObjectMapper().readTree(in);
        } catch (IOException e) {
            throw new IOException(path + ": not a readable JSON file: " + e.getMessage(), e);
        }
        String layout = text(path, root, "layout");
        if (!LAYOUT_USER_SEQUENCES.equals(layout)) {
            throw new IOException(path + ": field 'layout' is '" + layout + "'; this version reads '"
                    + LAYOUT_USER_SEQUENCES + "'");
        }
        int maxHistory = (int) number(path, root, "max_history");
        if (maxHistory <= 0) {
            throw new IOException(path + ": field 'max_history' must be > 0, got " + maxHistory);
        }
        JsonNode array = root.get("parts");
        if (array == null || !array.isArray() || array.isEmpty()) {
            throw new IOException(path + ": field 'parts' must be a non-empty list of part files");
        }
        List<Part> parts = new ArrayList<>();
        for (int i = 0; i < array.size(); i++) {
            JsonNode p = array.get(i);
            String where = "parts[" + i + "].";
            String file = text(path, p, where, "file");
            if (file.contains("/") || file.startsWith(".")) {
                throw new IOException(path + ": field '" + where + "file' must be a file name inside "
                        + DatasetLayout.USER_SEQUENCES + "/, got '" + file + "'");
            }
            parts.add(new Part(file, number(path, p, where, "users"), number(path, p, where, "interactions")));
        }
        return new DatasetManifest(maxHistory, parts);
    }

    private static String text(Path path, JsonNode node, String field) throws IOException {
        return text(path, node, "", field);
    }

    private static String text(Path path, JsonNode node, String where, String field) throws IOException {
        JsonNode v = node.get(field);
        if (v == null || !v.isTextual()) {
            throw new IOException(path + ": field '" + where + field + "' is missing or not text");
        }
        return v.asText();
    }

    private static long number(Path path, JsonNode node, String field) throws IOException {
        return number(path, node, "", field);
    }

    private static long number(Path path, JsonNode node, String where, String field) throws IOException {
        JsonNode v = node.get(field);
        if (v == null || !v.canConvertToLong() || v.asLong() < 0) {
            throw new IOException(path + ": field '" + where + field + "' is missing or not a count >= 0");
        }
        return v.asLong();
    }
}
