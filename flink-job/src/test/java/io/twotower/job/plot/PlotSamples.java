package io.twotower.job.plot;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.twotower.job.online.WindowReport;

import javax.imageio.ImageIO;
import javax.xml.parsers.DocumentBuilderFactory;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** Small results documents and windows files with values chosen by the tests, and readers of what was drawn. */
public final class PlotSamples {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** 2023-11-14T22:00Z, on the hour. */
    public static final long START = 1_700_000_000_000L / 3_600_000L * 3_600_000L;
    public static final long HOUR = 3_600_000L;

    private PlotSamples() {}

    /**
     * A train run of five epochs: the best (selected over all items) at epoch 3, the learning rate halved after
     * epoch 4, baselines 0.02 and 0.045.
     */
    public static ObjectNode trainResults(boolean withLearningRate) {
        double[] loss = {3.4, 2.9, 2.8, 2.75, 2.7};
        double[] all = {0.021, 0.030, 0.041, 0.038, 0.039};
        double[] unseen = {0.030, 0.044, 0.060, 0.058, 0.059};
        double[] lr = {5e-4, 5e-4, 5e-4, 5e-4, 2.5e-4};
        double[] speed = {1600, 1750, 1800, 1500, 1650};
        ObjectNode results = JSON.createObjectNode();
        results.putObject("model_config").put("eval_topk", 10).put("exclude_history", false);
        ObjectNode training = results.putObject("training");
        ArrayNode losses = training.putArray("train_losses");
        ArrayNode speeds = training.putArray("examples_per_second");
        ArrayNode metrics = training.putArray("metrics");
        for (int e = 0; e < loss.length; e++) {
            losses.add(loss[e]);
            speeds.add(speed[e]);
            ObjectNode m = metrics.addObject();
            m.putObject("all_items").put("Recall@10", all[e]).put("Recall@50", 0.2);
            m.putObject("exclude_history").put("Recall@10", unseen[e]).put("Recall@50", 0.25);
            m.put("epoch", e + 1);
            if (withLearningRate) {
                m.put("learning_rate", lr[e]);
            }
        }
        results.put("best_recall", 0.041);
        results.put("best_epoch", 3);
        results.putObject("baselines").put("most_popular", 0.02).put("most_popular_excluding_history", 0.045);
        results.put("epochs_run", 5);
        results.put("stopped_early", false);
        results.put("run_id", "plot-test");
        return results;
    }

    public static String trainResultsText() throws IOException {
        return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(trainResults(true));
    }

    /**
     * Six hourly windows as the online job writes them: 100..600 events, window 4 a regression, a snapshot
     * every second window (so window 4's is rejected), 3 new users and 7 new items per window.
     */
    public static List<String> windowLines() throws IOException {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            WindowReport r = new WindowReport();
            r.windowStart = START + i * HOUR;
            r.windowEnd = r.windowStart + HOUR;
            r.events = 100L * (i + 1);
            r.recall = i == 3 ? 0.02 : 0.05 + 0.01 * i;
            r.hits = Math.round(r.recall * r.events);
            r.recallExcludeHistory = r.recall + 0.02;
            r.hitsExcludeHistory = Math.round(r.recallExcludeHistory * r.events);
            r.trained = r.events - 1;
            r.newUsers = 3;
            r.newItems = 7;
            r.loss = i == 0 ? Double.NaN : 3.0 - 0.1 * i;
            r.learningRate = 5e-4;
            r.regression = i == 3;
            r.snapshotSequence = i % 2 == 1 ? (i + 1) / 2 : 0;
            lines.add(JSON.writeValueAsString(r));
        }
        return lines;
    }

    public static BufferedImage decodePng(byte[] png) throws IOException {
        BufferedImage image = ImageIO.read(new ByteArrayInputStream(png));
        if (image == null) {
            throw new IOException("not a PNG ImageIO can read");
        }
        return image;
    }

    /** The distinct RGB colours of an image. */
    public static Set<Integer> colours(BufferedImage image) {
        Set<Integer> out = new HashSet<>();
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                out.add(image.getRGB(x, y) & 0xffffff);
            }
        }
        return out;
    }

    /** Parses an SVG as XML without fetching its DTD (there is no network in tests). */
    public static org.w3c.dom.Document parseSvg(byte[] svg) throws Exception {
        DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
        factory.setNamespaceAware(true);
        factory.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
        return factory.newDocumentBuilder().parse(new ByteArrayInputStream(svg));
    }
}
