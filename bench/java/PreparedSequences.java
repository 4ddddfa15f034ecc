import io.twotower.connectors.dataset.DatasetLayout;
import io.twotower.connectors.dataset.IdMapFile;
import io.twotower.connectors.dataset.SequenceFiles;
import io.twotower.connectors.dataset.Sequences;
import org.apache.flink.core.fs.Path;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Turns a {@code prepare --holdout val+test} folder into one text file per-user for the Python baselines
 * (Debian has no Parquet reader for Python): {@code # users=U items=N}, then per user
 * {@code user_idx<TAB>training items oldest first<TAB>validation item<TAB>test item} (-1 where none).
 * Run from the job jar's classpath as a source file: {@code java -cp twotower-job.jar PreparedSequences.java DIR OUT}.
 * Every row's history is checked against the items before it, so the sequences are exactly the prepared ones.
 */
public final class PreparedSequences {
    public static void main(String[] args) throws IOException {
        if (args.length != 2) {
            System.err.println("usage: java -cp twotower-job.jar PreparedSequences.java <prepared dir> <out.tsv>");
            System.exit(2);
        }
        DatasetLayout layout = new DatasetLayout(new Path(args[0]));
        if (!layout.test().getFileSystem().exists(layout.test())) {
            throw new IOException(layout.test() + ": not found; prepare the data with --holdout val+test");
        }
        int users = IdMapFile.read(layout.userMap(), DatasetLayout.USER_ID_COLUMN, DatasetLayout.USER_IDX_COLUMN).length;
        int items = IdMapFile.read(layout.itemMap(), DatasetLayout.ITEM_ID_COLUMN, DatasetLayout.ITEM_IDX_COLUMN).length;
        List<List<Integer>> train = new ArrayList<>();
        for (int u = 0; u < users; u++) {
            train.add(new ArrayList<>());
        }
        Sequences rows = SequenceFiles.read(layout.train(), users, items);
        for (int r = 0; r < rows.size(); r++) {
            List<Integer> seq = train.get(rows.user(r));
            check(layout.train(), r, seq, rows.history(r));
            seq.add(rows.positive(r));
        }
        int[] val = heldOut(layout.validation(), users, items, train, null);
        int[] test = heldOut(layout.test(), users, items, train, val);
        try (BufferedWriter out = Files.newBufferedWriter(java.nio.file.Path.of(args[1]), StandardCharsets.UTF_8)) {
            out.write("# users=" + users + " items=" + items + "\n");
            for (int u = 0; u < users; u++) {
                StringBuilder line = new StringBuilder().append(u).append('\t');
                for (int i = 0; i < train.get(u).size(); i++) {
                    line.append(i == 0 ? "" : " ").append(train.get(u).get(i));
                }
                out.write(line.append('\t').append(val[u]).append('\t').append(test[u]).append('\n').toString());
            }
        }
        System.out.println("wrote " + args[1] + ": " + users + " users, " + items + " items, " + rows.size()
                + " training rows");
    }

    /** Each user's held-out item in {@code file}, checking its history is the user's earlier items (and then val). */
    private static int[] heldOut(Path file, int users, int items, List<List<Integer>> train, int[] val) throws IOException {
        int[] out = new int[users];
        Arrays.fill(out, -1);
        Sequences rows = SequenceFiles.read(file, users, items);
        for (int r = 0; r < rows.size(); r++) {
            int u = rows.user(r);
            List<Integer> before = new ArrayList<>(train.get(u));
            if (val != null && val[u] >= 0) {
                before.add(val[u]);
            }
            check(file, r, before, rows.history(r));
            out[u] = rows.positive(r);
        }
        return out;
    }

    private static void check(Path file, int row, List<Integer> before, int[] history) throws IOException {
        int from = before.size() - history.length;
        for (int i = 0; i < history.length; i++) {
            if (from < 0 || before.get(from + i) != history[i]) {
                throw new IOException(file + ": row " + row + ": history is not the user's earlier items in file order");
            }
        }
    }
}
