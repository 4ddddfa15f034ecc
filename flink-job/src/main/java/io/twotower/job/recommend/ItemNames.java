package io.twotower.job.recommend;

import org.apache.flink.core.fs.Path;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Item titles from a CSV file with a header whose first column is the raw item id and one column the title,
 * such as MovieLens' movies.csv ({@code movieId,title,genres}). Fields follow RFC 4180: quoted fields may hold
 * commas, doubled quotes and line breaks. Only the titles asked for are kept.
 */
public final class ItemNames {
    public static final String DEFAULT_TITLE_COLUMN = "title";

    private ItemNames() {}

    /** The titles of {@code ids} found in {@code file} (ids it lacks are left out). */
    public static Map<String, String> titlesOf(Path file, String titleColumn, Collection<String> ids)
            throws IOException {
        Set<String> wanted = new HashSet<>(ids);
        Map<String, String> titles = new HashMap<>();
        if (!file.getFileSystem().exists(file)) {
            throw new IOException("--item-names " + file + ": file not found");
        }
        try (Reader in = new BufferedReader(new InputStreamReader(file.getFileSystem().open(file),
                StandardCharsets.UTF_8))) {
            CsvRecords records = new CsvRecords(in, file);
            List<String> header = records.next();
            if (header == null) {
                throw new IOException(file + ": empty, expected a header such as movieId,title,genres");
            }
            int title = -1;
            for (int c = 0; c < header.size(); c++) {
                if (header.get(c).trim().toLowerCase(Locale.ROOT).equals(titleColumn.toLowerCase(Locale.ROOT))) {
                    title = c;
                }
            }
            if (title < 0) {
                throw new IOException(file + ": no column '" + titleColumn + "' in the header " + header
                        + " (the first column is the item id; name the title column with --title-column)");
            }
            if (title == 0) {
                throw new IOException(file + ": the title column '" + titleColumn
                        + "' is the first column, which holds the item id");
            }
            List<String> record;
            while ((record = records.next()) != null) {
                if (record.size() == 1 && record.get(0).isEmpty()) {
                    continue;
                }
                if (record.size() <= title) {
                    throw new IOException(String.format(Locale.ROOT, "%s: line %d: %d fields, the title is field %d",
                            file, records.recordLine(), record.size(), title + 1));
                }
                String id = record.get(0).trim();
                if (wanted.contains(id)) {
                    titles.put(id, record.get(title));
                }
            }
        }
        return titles;
    }

    /** RFC 4180 records, one at a time. */
    static final class CsvRecords {
        private final Reader in;
        private final Path file;
        private int line = 1;
        private int recordLine;
        private int pending = -2;

        CsvRecords(Reader in, Path file) {
            this.in = in;
            this.file = file;
        }

        /** The line the last record returned started on (1-based). */
        int recordLine() {
            return recordLine;
        }

        private int read() throws IOException {
            if (pending != -2) {
                int c = pending;
                pending = -2;
                return c;
            }
            return in.read();
        }

        /** The next record's fields, or null at the end of the file. */
        List<String> next() throws IOException {
            int c = read();
            if (c == -1) {
                return null;
            }
            if (line == 1 && recordLine == 0 && c == '\uFEFF') {
                c = read();
            }
            recordLine = line;
            List<String> fields = new ArrayList<>();
            StringBuilder field = new StringBuilder();
            boolean quoted = false;
            boolean wasQuoted = false;
            while (true) {
                if (quoted) {
                    if (c == -1) {
                        throw new IOException(String.format(Locale.ROOT,
                                "%s: line %d: a quoted field is not closed before the end of the file", file, recordLine));
                    }
                    if (c == '"') {
                        int next = read();
                        if (next == '"') {
                            field.append('"');
                        } else {
                            quoted = false;
                            c = next;
                            continue;
                        }
                    } else {
                        if (c == '\n') {
                            line++;
                        }
                        field.append((char) c);
                    }
                } else if (c == '"' && field.length() == 0 && !wasQuoted) {
                    quoted = true;
                    wasQuoted = true;
                } else if (c == ',') {
                    fields.add(field.toString());
                    field.setLength(0);
                    wasQuoted = false;
                } else if (c == '\r' || c == '\n' || c == -1) {
                    if (c == '\r') {
                        int next = read();
                        if (next != '\n') {
                            pending = next;
                        }
                    }
                    if (c != -1) {
                        line++;
                    }
                    fields.add(field.toString());
                    return fields;
                } else {
                    field.append((char) c);
                }
                c = read();
            }
        }
    }
}
