package io.twotower.job.prepare;

import io.twotower.connectors.parquet.ParquetRows;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichFlatMapFunction;
import org.apache.flink.metrics.Counter;
import org.apache.flink.core.fs.FSDataInputStream;
import org.apache.flink.core.fs.Path;
import org.apache.flink.util.Collector;

import java.io.BufferedInputStream;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;

/**
 * Reads one interaction log file (CSV with a header, gzipped or not, or Parquet), given as its index in the input's
 * file list, and emits its rows with their position (file index, line or row) and time ({@link InteractionTimestamps},
 * from a text or an integer column). A bounded job must fail fast on bad input, so any problem fails with the file,
 * the line or row, and the column.
 */
public final class InteractionFileReader extends RichFlatMapFunction<Integer, Interaction> {
    private static final long serialVersionUID = 1L;

    private static final int BUFFER_BYTES = 1 << 16;
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(InteractionFileReader.class);

    private final String userColumn;
    private final String itemColumn;
    private final String timeColumn;
    private final List<String> files;

    public InteractionFileReader(List<String> files, String userColumn, String itemColumn, String timeColumn) {
        this.files = new ArrayList<>(files);
        this.userColumn = userColumn;
        this.itemColumn = itemColumn;
        this.timeColumn = timeColumn;
    }

    /** The interactions this subtask has read: the job's progress (the Flink metric {@code interactionsRead}). */
    private transient Counter read;

    @Override
    public void open(OpenContext openContext) {
        read = getRuntimeContext().getMetricGroup().counter("interactionsRead");
    }

    @Override
    public void flatMap(Integer fileIndex, Collector<Interaction> downstream) throws Exception {
        Collector<Interaction> out = new Collector<>() {
            @Override
            public void collect(Interaction i) {
                read.inc();
                downstream.collect(i);
            }

            @Override
            public void close() {
                downstream.close();
            }
        };
        String file = files.get(fileIndex);
        Path path = new Path(file);
        long start = System.nanoTime();
        long rows = file.endsWith(".parquet") ? readParquet(fileIndex, path, out) : readCsv(fileIndex, path, out);
        if (rows == 0) {
            throw new IOException(path + ": the file has no interactions");
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        LOG.info("Read {} interactions from {} in {} s ({} rows/s)", rows, path, String.format("%.1f", seconds),
                String.format("%.0f", rows / Math.max(seconds, 1e-9)));
    }

    private long readCsv(int fileIndex, Path path, Collector<Interaction> out) throws IOException {
        if (!path.getFileSystem().exists(path)) {
            throw new IOException(path + ": file not found");
        }
        try (FSDataInputStream in = path.getFileSystem().open(path);
                BufferedReader reader = new BufferedReader(
                        new InputStreamReader(decompressed(in), StandardCharsets.UTF_8), BUFFER_BYTES)) {
            String header = readLine(reader, path, 1);
            if (header == null) {
                throw new IOException(path + ": the file is empty (expected a header line)");
            }
            List<String> columns = splitCsv(stripBom(header));
            int u = columnIndex(path, columns, userColumn, "--user-column");
            int i = columnIndex(path, columns, itemColumn, "--item-column");
            int t = columnIndex(path, columns, timeColumn, "--time-column");
            long rows = 0;
            long lineNo = 1;
            String line;
            while ((line = readLine(reader, path, lineNo + 1)) != null) {
                lineNo++;
                if (line.isBlank()) {
                    continue;
                }
                List<String> cells = splitCsv(line);
                if (cells.size() != columns.size()) {
                    throw new IOException(String.format("%s: line %d: expected %d columns, found %d",
                            path, lineNo, columns.size(), cells.size()));
                }
                out.collect(new Interaction(
                        requireId(path, lineNo, userColumn, cells.get(u)),
                        requireId(path, lineNo, itemColumn, cells.get(i)),
                        parseTime(path, "line " + lineNo, cells.get(t)), fileIndex, lineNo));
                rows++;
            }
            return rows;
        }
    }

    /** The file's text: gunzipped when it starts with gzip's magic bytes, whatever its name. */
    private static InputStream decompressed(InputStream in) throws IOException {
        BufferedInputStream buffered = new BufferedInputStream(in, BUFFER_BYTES);
        buffered.mark(2);
        int b0 = buffered.read();
        int b1 = buffered.read();
        buffered.reset();
        return b0 == 0x1f && b1 == 0x8b ? new GZIPInputStream(buffered, BUFFER_BYTES) : buffered;
    }

    /** A truncated or corrupt gzip stream fails with the file and the line it could not read. */
    private static String readLine(BufferedReader reader, Path path, long lineNo) throws IOException {
        try {
            return reader.readLine();
        } catch (IOException e) {
            throw new IOException(String.format("%s: line %d: cannot read: %s", path, lineNo, e.getMessage()), e);
        }
    }

    private long readParquet(int fileIndex, Path path, Collector<Interaction> out) throws IOException {
        try (ParquetRows rows = ParquetRows.open(path)) {
            rows.requireColumn(userColumn);
            rows.requireColumn(itemColumn);
            rows.requireColumn(timeColumn);
            long[] count = {0};
            rows.forEach((row, r) -> {
                String user = r.getString(userColumn);
                String item = r.getString(itemColumn);
                String time = r.getString(timeColumn);
                String where = "row " + row;
                if (user == null || item == null || time == null) {
                    String column = user == null ? userColumn : item == null ? itemColumn : timeColumn;
                    throw new IOException(String.format("%s: %s, column '%s': null value", path, where, column));
                }
                out.collect(new Interaction(user, item, parseTime(path, where, time), fileIndex, row));
                count[0]++;
            });
            return count[0];
        }
    }

    private static String stripBom(String s) {
        return s.startsWith("\uFEFF") ? s.substring(1) : s;
    }

    private static int columnIndex(Path path, List<String> columns, String name, String option) throws IOException {
        int idx = columns.indexOf(name);
        if (idx < 0) {
            throw new IOException(String.format(
                    "%s: missing column '%s' (header has %s; choose another with %s)", path, name, columns, option));
        }
        return idx;
    }

    private static String requireId(Path path, long line, String column, String value) throws IOException {
        String v = value.trim();
        if (v.isEmpty()) {
            throw new IOException(String.format("%s: line %d, column '%s': empty id", path, line, column));
        }
        return v;
    }

    private long parseTime(Path path, String where, String value) throws IOException {
        try {
            return InteractionTimestamps.parse(value);
        } catch (IllegalArgumentException e) {
            throw new IOException(String.format("%s: %s, column '%s': %s", path, where, timeColumn, e.getMessage()));
        }
    }

    /** Splits one CSV line (RFC 4180 quotes, no embedded newlines). */
    static List<String> splitCsv(String line) {
        List<String> cells = new ArrayList<>();
        StringBuilder cell = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (quoted) {
                if (c == '"') {
                    if (i + 1 < line.length() && line.charAt(i + 1) == '"') {
                        cell.append('"');
                        i++;
                    } else {
                        quoted = false;
                    }
                } else {
                    cell.append(c);
                }
            } else if (c == '"') {
                quoted = true;
            } else if (c == ',') {
                cells.add(cell.toString());
                cell.setLength(0);
            } else {
                cell.append(c);
            }
        }
        cells.add(cell.toString());
        return cells;
    }
}
