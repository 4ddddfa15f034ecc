package io.twotower.job.plot;

import de.erichseifert.vectorgraphics2d.VectorGraphics2D;
import de.erichseifert.vectorgraphics2d.svg.SVGProcessor;
import de.erichseifert.vectorgraphics2d.util.PageSize;
import org.knowm.xchart.XYChart;

import javax.imageio.ImageIO;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.Collectors;

import static org.apache.flink.util.Preconditions.checkArgument;

/**
 * A headline over rows of charts (each row shares the figure's width equally), drawn as one PNG or one SVG image.
 * XChart draws each chart into its cell; PNG through Java2D, SVG through XChart's VectorGraphics2D (text stays
 * text, so the SVG is searchable).
 */
public final class Figure {
    static final int WIDTH = 1440;
    static final int ROW_HEIGHT = 460;
    private static final int HEADLINE_HEIGHT = 44;

    private final String headline;
    private final List<List<XYChart>> rows;

    Figure(String headline, List<List<XYChart>> rows) {
        checkArgument(!rows.isEmpty() && rows.stream().noneMatch(List::isEmpty), "a figure needs charts in every row");
        this.headline = headline;
        this.rows = rows.stream().map(List::copyOf).collect(Collectors.toUnmodifiableList());
    }

    /** The charts, left to right and top to bottom. */
    public List<XYChart> charts() {
        return rows.stream().flatMap(List::stream).collect(Collectors.toUnmodifiableList());
    }

    public String headline() {
        return headline;
    }

    public int width() {
        return WIDTH;
    }

    public int height() {
        return HEADLINE_HEIGHT + ROW_HEIGHT * rows.size();
    }

    public byte[] png() throws IOException {
        BufferedImage image = new BufferedImage(width(), height(), BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        try {
            paint(g);
        } finally {
            g.dispose();
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        if (!ImageIO.write(image, "png", out)) {
            throw new IOException("this JVM has no PNG writer");
        }
        return out.toByteArray();
    }

    /**
     * The SVG document. XChart draws its text as outlines (the same look without the reader's fonts), so the
     * document also carries the headline as its {@code <title>} and each chart's titles and series names in its
     * {@code <desc>}: what a screen reader, a search or a test can read.
     */
    public byte[] svg() throws IOException {
        VectorGraphics2D g = new VectorGraphics2D();
        paint(g);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new SVGProcessor().getDocument(g.getCommands(), new PageSize(0, 0, width(), height())).writeTo(out);
        String svg = out.toString(StandardCharsets.UTF_8);
        int root = svg.indexOf("<svg");
        int rootEnd = root < 0 ? -1 : svg.indexOf('>', root);
        if (rootEnd < 0) {
            throw new IOException("VectorGraphics2D wrote no <svg> element");
        }
        String metadata = "\n  <title>" + xml(headline) + "</title>\n  <desc>" + xml(description()) + "</desc>";
        return (svg.substring(0, rootEnd + 1) + metadata + svg.substring(rootEnd + 1)).getBytes(StandardCharsets.UTF_8);
    }

    /** One line per chart: its title, axis titles and series names. */
    String description() {
        StringBuilder text = new StringBuilder();
        for (XYChart chart : charts()) {
            text.append('\n').append(chart.getTitle()).append(" (x: ").append(chart.getXAxisTitle()).append(", y: ")
                    .append(chart.getYAxisTitle()).append("): ").append(String.join("; ", chart.getSeriesMap().keySet()));
        }
        return text.append('\n').toString();
    }

    private static String xml(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }

    private void paint(Graphics2D g) {
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, width(), height());
        g.setColor(Color.BLACK);
        FontMetrics metrics = null;
        for (int size = 19; size >= 12; size--) {
            // The largest size (down to 12) at which the headline fits the width.
            g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, size));
            metrics = g.getFontMetrics();
            if (metrics.stringWidth(headline) <= width() - 16) {
                break;
            }
        }
        g.drawString(headline, Math.max(8, (width() - metrics.stringWidth(headline)) / 2),
                (HEADLINE_HEIGHT + metrics.getAscent() - metrics.getDescent()) / 2 + 4);
        for (int r = 0; r < rows.size(); r++) {
            List<XYChart> row = rows.get(r);
            int cellWidth = WIDTH / row.size();
            for (int c = 0; c < row.size(); c++) {
                Graphics2D cell = (Graphics2D) g.create(c * cellWidth, HEADLINE_HEIGHT + r * ROW_HEIGHT, cellWidth,
                        ROW_HEIGHT);
                try {
                    row.get(c).paint(cell, cellWidth, ROW_HEIGHT);
                } finally {
                    cell.dispose();
                }
            }
        }
    }
}
