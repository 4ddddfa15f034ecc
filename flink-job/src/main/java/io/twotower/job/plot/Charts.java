package io.twotower.job.plot;

import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.XYStyler;
import org.knowm.xchart.style.lines.SeriesLines;
import org.knowm.xchart.style.markers.SeriesMarkers;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.util.List;
import java.util.Locale;
import java.util.TimeZone;

/** The house style of every chart: white, gridded, legible fonts, the legend below the plot, never over the data. */
final class Charts {
    static {
        // Charts are drawn off-screen: a TaskManager, a container or CI has no display. Before the colours below:
        // AWT reads the property once, when its native library loads. A value the user set is kept.
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true");
        }
    }

    static final Color BLUE = new Color(0x1f77b4);
    static final Color ORANGE = new Color(0xff7f0e);
    static final Color GREEN = new Color(0x2ca02c);
    static final Color RED = new Color(0xd62728);
    static final Color PURPLE = new Color(0x9467bd);
    static final Color GREY = new Color(0x555555);

    private static final String FONT = Font.SANS_SERIF;
    private static final BasicStroke SOLID = new BasicStroke(2.2f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND);
    static final BasicStroke DASHED = new BasicStroke(1.8f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f,
            new float[] {8f, 5f}, 0f);
    private static final BasicStroke DOTTED = new BasicStroke(1.8f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f,
            new float[] {3f, 4f}, 0f);

    private Charts() {}

    /** A line chart in the house style (its size is its figure cell's, set when the figure is drawn). */
    static XYChart xy(String title, String xTitle, String yTitle) {
        XYChart chart = new XYChart(Figure.WIDTH / 2, Figure.ROW_HEIGHT);
        chart.setTitle(title);
        chart.setXAxisTitle(xTitle);
        chart.setYAxisTitle(yTitle);
        XYStyler s = chart.getStyler();
        s.setLocale(Locale.ROOT);
        s.setTimezone(TimeZone.getTimeZone("UTC"));
        s.setChartBackgroundColor(Color.WHITE);
        s.setPlotBackgroundColor(Color.WHITE);
        s.setPlotBorderColor(new Color(0x999999));
        s.setPlotGridLinesVisible(true);
        s.setPlotGridLinesColor(new Color(0xdddddd));
        s.setPlotGridLinesStroke(new BasicStroke(1f));
        s.setChartTitleFont(new Font(FONT, Font.BOLD, 17));
        s.setChartTitleBoxVisible(false);
        s.setAxisTitleFont(new Font(FONT, Font.PLAIN, 14));
        s.setAxisTickLabelsFont(new Font(FONT, Font.PLAIN, 13));
        s.setLegendFont(new Font(FONT, Font.PLAIN, 13));
        s.setLegendPosition(Styler.LegendPosition.OutsideS);
        s.setLegendLayout(Styler.LegendLayout.Horizontal);
        s.setLegendBorderColor(Color.WHITE);
        s.setLegendSeriesLineLength(28);
        s.setChartPadding(12);
        s.setMarkerSize(7);
        s.setAntiAlias(true);
        return chart;
    }

    /**
     * The y axis from 0 (recalls, rates, speeds and counts are never negative) to a little above {@code max}, or to 1
     * when every value is 0. The headroom also keeps XChart from putting ticks only at the data values, which it
     * does when the values on an axis are equally spaced (two distinct values always are).
     */
    static void zeroBased(XYChart chart, double max) {
        chart.getStyler().setYAxisMin(0.0);
        chart.getStyler().setYAxisMax(max > 0 ? max * 1.08 : 1.0);
    }

    /** The y axis around the values, with 5% of their span (or of their size when they are all equal) either side. */
    static void padded(XYChart chart, double min, double max) {
        if (min <= max) {
            double pad = 0.05 * (max > min ? max - min : Math.max(Math.abs(max), 1));
            chart.getStyler().setYAxisMin(min - pad);
            chart.getStyler().setYAxisMax(max + pad);
        }
    }

    /** Labels whole numbers only: counts and epochs (XChart may put ticks between them on a short axis). */
    static String wholeNumber(double v) {
        return Math.abs(v - Math.rint(v)) < 1e-9 ? String.format(Locale.ROOT, "%,d", Math.round(v)) : "";
    }

    /** A solid line with a marker at every point. */
    static XYSeries line(XYChart chart, String name, List<?> x, List<? extends Number> y, Color color) {
        XYSeries series = chart.addSeries(name, x, y);
        series.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
        series.setLineColor(color);
        series.setLineStyle(SOLID);
        series.setMarker(x.size() > 60 ? SeriesMarkers.NONE : SeriesMarkers.CIRCLE);
        series.setMarkerColor(color);
        return series;
    }

    /** A step line (the value holds until the next point), for schedules and running counts. */
    static XYSeries step(XYChart chart, String name, List<?> x, List<? extends Number> y, Color color) {
        XYSeries series = line(chart, name, x, y, color);
        series.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Step);
        series.setMarker(SeriesMarkers.NONE);
        return series;
    }

    /** A dashed reference line without markers (a baseline). */
    static XYSeries dashed(XYChart chart, String name, List<?> x, List<? extends Number> y, Color color) {
        XYSeries series = chart.addSeries(name, x, y);
        series.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
        series.setLineColor(color);
        series.setLineStyle(DASHED);
        series.setMarker(SeriesMarkers.NONE);
        return series;
    }

    /** A dotted vertical line from {@code y0} to {@code y1} at {@code x} (a marked epoch). */
    static XYSeries vertical(XYChart chart, String name, double x, double y0, double y1, Color color) {
        XYSeries series = chart.addSeries(name, new double[] {x, x}, new double[] {y0, y1});
        series.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
        series.setLineColor(color);
        series.setLineStyle(DOTTED);
        series.setMarker(SeriesMarkers.NONE);
        return series;
    }

    /** Markers only (flagged points). */
    static XYSeries points(XYChart chart, String name, List<?> x, List<? extends Number> y, Color color) {
        XYSeries series = chart.addSeries(name, x, y);
        series.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
        series.setMarker(SeriesMarkers.CROSS);
        series.setMarkerColor(color);
        series.setLineStyle(SeriesLines.NONE);
        return series;
    }
}
