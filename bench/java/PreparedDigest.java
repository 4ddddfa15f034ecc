import io.twotower.connectors.dataset.DatasetLayout;
import io.twotower.connectors.dataset.IdMapFile;
import io.twotower.connectors.dataset.SequenceFiles;
import io.twotower.connectors.dataset.UserSequenceFiles;
import org.apache.flink.core.fs.Path;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * A SHA-256 of what a {@code prepare} folder holds, by content: the id maps' ids, every held-out row, every part's
 * users and items, and the JSON files' bytes. By content because parquet-mr writes a column chunk's set of
 * encodings in a hash order that differs between JVMs, so equal rows need not be equal bytes.
 * Run from the job jar's classpath as a source file: {@code java -cp twotower-job.jar PreparedDigest.java DIR}.
 */
public final class PreparedDigest {
    public static void main(String[] args) throws Exception {
        DatasetLayout layout = new DatasetLayout(new Path(args[0]));
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        String[] users = IdMapFile.read(layout.userMap(), DatasetLayout.USER_ID_COLUMN, DatasetLayout.USER_IDX_COLUMN);
        String[] items = IdMapFile.read(layout.itemMap(), DatasetLayout.ITEM_ID_COLUMN, DatasetLayout.ITEM_IDX_COLUMN);
        update(sha, "users " + String.join(",", users));
        update(sha, "items " + String.join(",", items));
        for (Path file : new Path[] {layout.validation(), layout.test(), layout.train()}) {
            if (!file.getFileSystem().exists(file)) {
                continue;
            }
            update(sha, file.getName());
            SequenceFiles.forEach(file, users.length, items.length, (user, positive, history, length) ->
                    update(sha, user + ":" + positive + ":" + Arrays.toString(Arrays.copyOf(history, length))));
        }
        File parts = new File(args[0], "user_sequences");
        String[] names = parts.list();
        if (names != null) {
            Arrays.sort(names);
            for (String name : names) {
                update(sha, name);
                UserSequenceFiles.forEachUser(new Path(parts.getPath(), name), users.length, items.length,
                        (user, seq, length, row) -> update(sha, user + ":" + Arrays.toString(Arrays.copyOf(seq, length))));
            }
        }
        for (String json : new String[] {"dataset.json", "baseline_results.json"}) {
            File f = new File(args[0], json);
            if (f.exists()) {
                update(sha, json);
                sha.update(Files.readAllBytes(f.toPath()));
            }
        }
        System.out.println(HexFormat.of().formatHex(sha.digest()));
    }

    private static void update(MessageDigest sha, String text) {
        sha.update(text.getBytes(StandardCharsets.UTF_8));
        sha.update((byte) '\n');
    }
}
