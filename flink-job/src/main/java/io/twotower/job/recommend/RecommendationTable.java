package io.twotower.job.recommend;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The printed result of {@code recommend}: {@code rank  item_id  score  [title]}, one row per item, best first. */
public final class RecommendationTable {
    private final List<String[]> rows = new ArrayList<>();
    private final boolean withTitles;

    public RecommendationTable(boolean withTitles) {
        this.withTitles = withTitles;
    }

    /** Adds the next-best item; {@code title} may be null (the names file lacks it). */
    public void add(String itemId, double score, String title) {
        rows.add(new String[] {Integer.toString(rows.size() + 1), itemId,
                String.format(Locale.ROOT, "%.6f", score), title == null ? "" : title});
    }

    public int size() {
        return rows.size();
    }

    public void print(PrintStream out) {
        String[] header = {"rank", "item_id", "score", "title"};
        int columns = withTitles ? 4 : 3;
        int[] width = new int[columns];
        for (int c = 0; c < columns; c++) {
            width[c] = header[c].length();
            for (String[] row : rows) {
                width[c] = Math.max(width[c], row[c].length());
            }
        }
        out.println(format(header, width, columns));
        for (String[] row : rows) {
            out.println(format(row, width, columns));
        }
    }

    private static String format(String[] cells, int[] width, int columns) {
        StringBuilder line = new StringBuilder();
        for (int c = 0; c < columns; c++) {
            if (c > 0) {
                line.append("  ");
            }
            // rank and score right-aligned (numbers), item id left-aligned (an id, not a number); the title last, unpadded.
            boolean right = c == 0 || c == 2;
            String cell = cells[c];
            String pad = " ".repeat(width[c] - cell.length());
            line.append(right ? pad + cell : c == columns - 1 ? cell : cell + pad);
        }
        return line.toString().stripTrailing();
    }
}
