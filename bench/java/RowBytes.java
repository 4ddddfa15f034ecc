import io.twotower.connectors.dataset.*;
import io.twotower.connectors.source.SequenceRow;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.core.fs.Path;
import org.apache.flink.core.memory.DataOutputSerializer;

/**
 * Bytes on the wire between the training source and the samplers for one epoch of a compact folder, as Flink's
 * PojoSerializer writes SequenceRow: rows that carry their history (before) against history-less rows plus one
 * user-sequence record per user (now). {@code java -cp twotower-job.jar bench/java/RowBytes.java <compact folder>}
 */
public class RowBytes {
    public static void main(String[] a) throws Exception {
        TypeSerializer<SequenceRow> s = TypeInformation.of(SequenceRow.class).createSerializer(new SerializerConfigImpl());
        DatasetLayout layout = new DatasetLayout(new Path(a[0]));
        DatasetManifest m = DatasetManifest.read(layout.manifest());
        int users = IdMapFile.read(layout.userMap(), DatasetLayout.USER_ID_COLUMN, DatasetLayout.USER_IDX_COLUMN).length;
        int items = IdMapFile.read(layout.itemMap(), DatasetLayout.ITEM_ID_COLUMN, DatasetLayout.ITEM_IDX_COLUMN).length;
        long[] before = {0}, now = {0}, rows = {0};
        DataOutputSerializer out = new DataOutputSerializer(1 << 16);
        for (DatasetManifest.Part p : m.parts) {
            UserSequenceFiles.forEachUser(new Path(layout.userSequences(), p.file), users, items, (u, seq, n, row) -> {
                int[] copy = java.util.Arrays.copyOf(seq, n);
                SequenceRow r = new SequenceRow(u, 0, null, 0, 0, 0);
                r.sequence = copy;
                out.clear(); s.serialize(r, out); now[0] += out.length();
                for (int t = 0; t < n; t++) {
                    SequenceRow light = new SequenceRow(u, copy[t], null, 0, ((long) u << 24) | t, t);
                    light.t = t;
                    out.clear(); s.serialize(light, out); now[0] += out.length();
                    SequenceRow full = new SequenceRow(u, copy[t], java.util.Arrays.copyOfRange(copy, Math.max(0, t - m.maxHistory), t), 0, ((long) u << 24) | t, t);
                    out.clear(); s.serialize(full, out); before[0] += out.length();
                    rows[0]++;
                }
            });
        }
        System.out.printf("rows=%d bytes_with_history=%d (%.1f/row) bytes_now=%d (%.1f/row) ratio=%.2fx%n", rows[0], before[0],
                before[0] / (double) rows[0], now[0], now[0] / (double) rows[0], before[0] / (double) now[0]);
    }
}
