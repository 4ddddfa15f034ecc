package io.twotower.job.plot;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.twotower.job.online.OnlineTrainerOperator;
import io.twotower.job.online.WindowReport;
import org.apache.flink.core.fs.Path;
import org.knowm.xchart.XYChart;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Date;
import java.util.List;
import java.util.Locale;

/**
 * The curves of an {@code online} run, drawn from its {@code windows.jsonl} (one {@link WindowReport} per closed
 * event-time window): prequential Recall@K both ways, events and trained examples per window, the vocabulary
 * grown since the start, and the snapshots published or rejected as regressions, over the windows' end times.
 */
public final class OnlinePlot {
    /** The windows file an online run writes, and the base name of its curves ({@code .png}, {@code .svg}). */
    public static final String WINDOWS_FILE = OnlineTrainerOperator.WINDOWS_FILE;
    public static final String FILE_NAME = "online_curves";
    private static final ObjectMapper JSON = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    private OnlinePlot() {}

    /**
     * Draws {@code windowsFile} into {@code outputDir}/online_curves.png and .svg; returns the files written.
     * K comes from the run's online_results.json beside it, once the run has written one.
     */
    public static List<Path> draw(Path windowsFile, Path outputDir) throws IOException {
        String text = new String(PlotFiles.read(windowsFile), StandardCharsets.UTF_8);
        List<WindowReport> windows = parse(Arrays.asList(text.split("\n", -1)), windowsFile.toString());
        int k = 0;
        Path results = new Path(windowsFile.getParent(), "online_results.json");
        if (PlotFiles.exists(results)) {
            try {
                k = JSON.readTree(PlotFiles.read(results)).path("model_config").path("eval_topk").asInt(0);
            } catch (JsonProcessingException e) {
                // Only the axis label needs it: "Recall@K" will do.
            }
        }
        return PlotFiles.write(figure(windows, k), outputDir, FILE_NAME);
    }

    /** The windows of a windows.jsonl text, one JSON object a line; fails naming {@code source} and the line. */
    public static List<WindowReport> parse(List<String> lines, String source) throws PlotInputException {
        List<WindowReport> windows = new ArrayList<>(lines.size());
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty()) {
                continue;
            }
            String where = source + ": line " + (i + 1);
            JsonNode node;
            try {
                node = JSON.readTree(line);
            } catch (JsonProcessingException e) {
                throw new PlotInputException(where + ": not JSON (" + e.getOriginalMessage() + ")");
            }
            if (!node.isObject() || !node.path("windowEnd").isIntegralNumber()) {
                throw new PlotInputException(where + ": not a window report (a JSON object with a numeric windowEnd)");
            }
            try {
                windows.add(JSON.treeToValue(node, WindowReport.class));
            } catch (JsonProcessingException e) {
                throw new PlotInputException(where + ": not a window report (" + e.getOriginalMessage() + ")");
            }
        }
        if (windows.isEmpty()) {
            throw new PlotInputException(source + ": no windows (the online job writes one line per closed window)");
        }
        return windows;
    }

    /** The figure of the windows, in the order written (event time); {@code k} of Recall@K, 0 when unknown. */
    public static Figure figure(List<WindowReport> windows, int k) {
        String recallKey = "Recall@" + (k > 0 ? String.valueOf(k) : "K");
        List<Date> end = new ArrayList<>();
        List<Date> rankedEnd = new ArrayList<>();
        List<Double> recall = new ArrayList<>();
        List<Double> recallUnseen = new ArrayList<>();
        List<Long> events = new ArrayList<>();
        List<Long> ranked = new ArrayList<>();
        List<Long> trained = new ArrayList<>();
        List<Long> users = new ArrayList<>();
        List<Long> items = new ArrayList<>();
        List<Long> accepted = new ArrayList<>();
        List<Long> rejected = new ArrayList<>();
        List<Date> regressionAt = new ArrayList<>();
        List<Double> regressionRecall = new ArrayList<>();
        long hits = 0;
        long hitsUnseen = 0;
        long allEvents = 0;
        long newUsers = 0;
        long newItems = 0;
        long published = 0;
        long refused = 0;
        for (WindowReport w : windows) {
            Date at = new Date(w.windowEnd);
            end.add(at);
            if (w.rankedEvents() > 0) {
                // A window whose batches --rank-share skipped has no recall to show (not a recall of 0).
                rankedEnd.add(at);
                recall.add(w.recall);
                recallUnseen.add(w.recallExcludeHistory);
            }
            events.add(w.events);
            ranked.add(w.rankedEvents());
            trained.add(w.trained);
            newUsers += w.newUsers;
            newItems += w.newItems;
            users.add(newUsers);
            items.add(newItems);
            if (w.snapshotSequence > 0) {
                if (w.regression) {
                    refused++;
                } else {
                    published++;
                }
            }
            accepted.add(published);
            rejected.add(refused);
            if (w.regression) {
                regressionAt.add(at);
                regressionRecall.add(Math.max(w.recall, w.recallExcludeHistory));
            }
            hits += w.hits;
            hitsUnseen += w.hitsExcludeHistory;
            allEvents += w.rankedEvents();
        }
        String timeAxis = "window end (UTC)";
        XYChart quality = Charts.xy("Prequential " + recallKey + " per window", timeAxis,
                recallKey + " (scored before training)");
        Charts.line(quality, "all items", rankedEnd, recall, Charts.BLUE);
        Charts.line(quality, "seen items excluded", rankedEnd, recallUnseen, Charts.ORANGE);
        if (!regressionAt.isEmpty()) {
            Charts.points(quality, "regression (LATEST kept)", regressionAt, regressionRecall, Charts.RED);
        }
        zeroBased(quality, recall, recallUnseen);
        quality.getStyler().setYAxisDecimalPattern("0.0##");

        XYChart volume = Charts.xy("Events per window", timeAxis, "events");
        Charts.line(volume, "events", end, events, Charts.BLUE);
        if (!ranked.equals(events)) {
            Charts.line(volume, "ranked before training (--rank-share)", end, ranked, Charts.ORANGE);
        }
        // Dashed: trained equals scored unless events were skipped (no possible negative), and would hide it.
        Charts.line(volume, "events trained", end, trained, Charts.GREEN).setLineStyle(Charts.DASHED);
        zeroBased(volume, events, trained);

        XYChart vocabulary = Charts.xy("Vocabulary grown since the start", timeAxis, "new ids (cumulative)");
        Charts.step(vocabulary, "users added", end, users, Charts.PURPLE);
        Charts.step(vocabulary, "items added", end, items, Charts.ORANGE);
        zeroBased(vocabulary, users, items);

        XYChart snapshots = Charts.xy("Snapshots (cumulative)", timeAxis, "snapshots");
        Charts.step(snapshots, "published (LATEST moved)", end, accepted, Charts.GREEN);
        Charts.step(snapshots, "rejected: regression", end, rejected, Charts.RED);
        zeroBased(snapshots, accepted, rejected);

        List<XYChart> details = List.of(volume, vocabulary, snapshots);
        for (XYChart counts : details) {
            counts.getStyler().setyAxisTickLabelsFormattingFunction(Charts::wholeNumber);
        }
        String pattern = datePattern(windows);
        for (XYChart chart : List.of(quality, volume, vocabulary, snapshots)) {
            chart.getStyler().setDatePattern(pattern);
            if (windows.size() == 1) {
                // One point: XChart needs a range; show the window itself.
                chart.getStyler().setXAxisMin((double) windows.get(0).windowStart);
                chart.getStyler().setXAxisMax((double) windows.get(0).windowEnd + 1);
            }
        }
        String headline = String.format(Locale.ROOT,
                "online: %d windows of %s, %s to %s; prequential %s %.4f (seen items excluded %.4f), %d events ranked",
                windows.size(), windowLength(windows.get(0)), day(windows.get(0).windowStart),
                day(windows.get(windows.size() - 1).windowEnd), recallKey, allEvents == 0 ? 0.0 : (double) hits / allEvents,
                allEvents == 0 ? 0.0 : (double) hitsUnseen / allEvents, allEvents);
        return new Figure(headline, List.of(List.of(quality), details));
    }

    /** The y axis from 0 (counts and recalls are never negative) to a little above the largest value. */
    @SafeVarargs
    private static void zeroBased(XYChart chart, List<? extends Number>... series) {
        double max = 0;
        for (List<? extends Number> s : series) {
            for (Number n : s) {
                if (Double.isFinite(n.doubleValue())) {
                    max = Math.max(max, n.doubleValue());
                }
            }
        }
        Charts.zeroBased(chart, max);
    }

    private static String datePattern(List<WindowReport> windows) {
        long span = windows.get(windows.size() - 1).windowEnd - windows.get(0).windowStart;
        if (span > Duration.ofDays(3 * 365).toMillis()) {
            return "yyyy";
        }
        if (span > Duration.ofDays(60).toMillis()) {
            return "yyyy-MM";
        }
        if (span > Duration.ofDays(3).toMillis()) {
            return "MM-dd";
        }
        return "MM-dd HH:mm";
    }

    private static String windowLength(WindowReport w) {
        Duration d = Duration.ofMillis(w.windowEnd - w.windowStart);
        if (d.toDays() > 0 && d.toHours() % 24 == 0) {
            return d.toDays() + " d";
        }
        if (d.toMinutes() > 0 && d.toSeconds() % 60 == 0) {
            return d.toMinutes() % 60 == 0 ? d.toHours() + " h" : d.toMinutes() + " min";
        }
        return d.toMillis() + " ms";
    }

    private static String day(long epochMillis) {
        return DateTimeFormatter.ISO_LOCAL_DATE.withZone(ZoneOffset.UTC).format(Instant.ofEpochMilli(epochMillis));
    }
}
