import io.twotower.connectors.dataset.DatasetLayout;
import io.twotower.connectors.dataset.DatasetManifest;
import io.twotower.connectors.dataset.IdMapFile;
import io.twotower.connectors.dataset.UserSequenceFiles;
import org.apache.flink.core.fs.Path;

import java.util.Locale;

/**
 * How fast the compact layout's parts decode (issue 14): every part of a prepared folder read with
 * UserSequenceFiles.Reader, row group by row group, nothing else done with the values; prints interactions/s.
 * Run it with the classpath of the jar to measure (`java -cp twotower-job.jar bench/java/PartReadSpeed.java DIR [reps]`),
 * so two builds (e.g. the record API against the column API) compare on the same files.
 */
public class PartReadSpeed {
    public static void main(String[] args) throws Exception {
        DatasetLayout layout = new DatasetLayout(new Path(args[0]));
        int reps = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        DatasetManifest manifest = DatasetManifest.read(layout.manifest());
        int users = IdMapFile.read(layout.userMap(), DatasetLayout.USER_ID_COLUMN, DatasetLayout.USER_IDX_COLUMN).length;
        int items = IdMapFile.read(layout.itemMap(), DatasetLayout.ITEM_ID_COLUMN, DatasetLayout.ITEM_IDX_COLUMN).length;
        for (int rep = 0; rep < reps; rep++) {
            long t0 = System.nanoTime();
            long rows = 0;
            long interactions = 0;
            long checksum = 0;
            for (DatasetManifest.Part part : manifest.parts) {
                try (UserSequenceFiles.Reader r = UserSequenceFiles.Reader.open(
                        new Path(layout.userSequences(), part.file), users, items)) {
                    for (int g = 0; g < r.rowGroups(); g++) {
                        r.seekRowGroup(g);
                        while (r.next()) {
                            rows++;
                            interactions += r.length();
                            checksum += r.user() + (r.length() > 0 ? r.items()[r.length() - 1] : 0);
                        }
                    }
                }
            }
            double s = (System.nanoTime() - t0) / 1e9;
            System.out.printf(Locale.ROOT, "rep %d: %d users, %d interactions in %.2f s: %.0f interactions/s (checksum %d)%n",
                    rep, rows, interactions, s, interactions / s, checksum);
        }
    }
}
