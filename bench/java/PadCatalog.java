import io.twotower.connectors.dataset.DatasetLayout;
import io.twotower.connectors.dataset.IdMapFile;
import org.apache.flink.core.fs.Path;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

/**
 * A prepared folder with a larger catalog: copies {@code <prepared dir>} to {@code <out dir>} and pads its item
 * (and optionally user) id map to the given size with ids {@code pad-item-k} / {@code pad-user-k}. The training
 * and validation rows stay as they are, so `train` runs on a catalog of any size whose padded rows only uniform
 * negatives (and the evaluation) ever reach: the shape of a large catalog where a batch touches a few rows.
 * Run from the job jar's classpath as a source file:
 * {@code java -cp twotower-job.jar PadCatalog.java <prepared dir> <out dir> <items> [<users>]}.
 */
public final class PadCatalog {
    public static void main(String[] args) throws IOException {
        if (args.length < 3 || args.length > 4) {
            System.err.println("usage: java -cp twotower-job.jar PadCatalog.java <prepared dir> <out dir> <items> [<users>]");
            System.exit(2);
        }
        java.nio.file.Path from = java.nio.file.Path.of(args[0]);
        java.nio.file.Path to = java.nio.file.Path.of(args[1]);
        int items = Integer.parseInt(args[2]);
        Files.createDirectories(to);
        try (Stream<java.nio.file.Path> files = Files.list(from)) {
            for (java.nio.file.Path f : (Iterable<java.nio.file.Path>) files::iterator) {
                if (Files.isRegularFile(f)) {
                    Files.copy(f, to.resolve(f.getFileName()), StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
        DatasetLayout source = new DatasetLayout(new Path(from.toString()));
        DatasetLayout target = new DatasetLayout(new Path(to.toString()));
        pad(source.itemMap(), target.itemMap(), DatasetLayout.ITEM_ID_COLUMN, DatasetLayout.ITEM_IDX_COLUMN, items,
                "pad-item-");
        if (args.length == 4) {
            pad(source.userMap(), target.userMap(), DatasetLayout.USER_ID_COLUMN, DatasetLayout.USER_IDX_COLUMN,
                    Integer.parseInt(args[3]), "pad-user-");
        }
    }

    private static void pad(Path from, Path to, String idColumn, String indexColumn, int size, String prefix)
            throws IOException {
        String[] ids = IdMapFile.read(from, idColumn, indexColumn);
        if (size < ids.length) {
            throw new IllegalArgumentException(from + " already has " + ids.length + " ids, more than " + size);
        }
        List<String> padded = new ArrayList<>(size);
        padded.addAll(Arrays.asList(ids));
        for (int k = ids.length; k < size; k++) {
            padded.add(prefix + k);
        }
        to.getFileSystem().delete(to, false);
        IdMapFile.write(to, idColumn, indexColumn, padded);
        System.out.printf("%s: %d ids (%d real, %d padded)%n", to, size, ids.length, size - ids.length);
    }
}
