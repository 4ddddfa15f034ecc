import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;
import org.knowm.xchart.AnnotationLine;

import java.awt.Color;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The soak benchmark's plot (bench/summarize_soak.py writes its inputs): memory (RSS, heap after a full GC, RSS
 * beyond the committed heap), events/s trained and consumer lag over the soak's minutes, the kills marked as vertical lines.
 * XChart from the job jar, as the job's own plots.
 *
 * <p>Usage: SoakPlot timeline.tsv kills.txt out.png   (timeline: minute, rss_mb, heap_mb, nonheap_mb, events_s, lag;
 * "nan" where a sample has no value; kills: one minute per line)
 */
public final class SoakPlot {
    public static void main(String[] args) throws Exception {
        List<double[]> rows = new ArrayList<>();
        List<String> lines = Files.readAllLines(Path.of(args[0]));
        for (String line : lines.subList(1, lines.size())) {
            String[] c = line.split("\t");
            double[] r = new double[c.length];
            for (int i = 0; i < c.length; i++) {
                r[i] = c[i].equals("nan") ? Double.NaN : Double.parseDouble(c[i]);
            }
            rows.add(r);
        }
        List<Double> kills = new ArrayList<>();
        for (String k : Files.readAllLines(Path.of(args[1]))) {
            if (!k.isBlank()) {
                kills.add(Double.parseDouble(k.trim()));
            }
        }
        XYChart memory = chart("memory (MB)", "MB");
        series(memory, "RSS", rows, 1);
        series(memory, "heap used after full GC", rows, 2);
        series(memory, "RSS - heap committed (metaspace, threads, direct, libtorch)", rows, 3);
        XYChart rate = chart("events/s trained", "events/s");
        series(rate, "events/s (between progress lines)", rows, 4);
        XYChart lag = chart("consumer lag (events not yet in a completed checkpoint)", "events");
        series(lag, "lag", rows, 5);
        List<XYChart> charts = List.of(memory, rate, lag);
        double last = rows.isEmpty() ? 1 : rows.get(rows.size() - 1)[0];
        for (XYChart c : charts) {
            c.getStyler().setXAxisMin(0.0);
            c.getStyler().setXAxisMax(Math.ceil(last));
            for (double k : kills) {
                AnnotationLine line = new AnnotationLine(k, true, false);
                c.addAnnotation(line);
            }
        }
        BitmapEncoder.saveBitmap(new ArrayList<>(charts), 3, 1, args[2], BitmapEncoder.BitmapFormat.PNG);
    }

    static XYChart chart(String title, String unit) {
        XYChart c = new XYChartBuilder().width(1400).height(360).title(title + " (red: kill -9)")
                .xAxisTitle("minutes since the soak started").yAxisTitle(unit).build();
        c.getStyler().setChartBackgroundColor(Color.WHITE);
        c.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.InsideNW);
        c.getStyler().setYAxisMin(0.0);
        c.getStyler().setAnnotationLineColor(Color.RED);
        return c;
    }

    static void series(XYChart chart, String name, List<double[]> rows, int column) {
        List<Double> x = new ArrayList<>();
        List<Double> y = new ArrayList<>();
        for (double[] r : rows) {
            if (r.length > column && !Double.isNaN(r[column])) {
                x.add(r[0]);
                y.add(r[column]);
            }
        }
        if (x.isEmpty()) {
            return;
        }
        XYSeries s = chart.addSeries(name, x, y);
        s.setMarker(SeriesMarkers.NONE);
    }
}
