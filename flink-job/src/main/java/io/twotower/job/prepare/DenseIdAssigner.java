package io.twotower.job.prepare;

import io.twotower.connectors.dataset.IdMapFile;
import org.apache.flink.core.fs.Path;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.BoundedOneInput;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.util.OutputTag;

/**
 * Runs at parallelism 1 over the distinct raw ids in {@link RawIdOrder} (sorted by Flink's external sort): the
 * i-th id gets dense index i. Writes the id map as the ids stream by and emits each id's {@link IdJoinRow#INDEX}
 * row for the joins, so no task holds the ids in memory; reports the count as a {@link PrepareFact}.
 */
public final class DenseIdAssigner extends AbstractStreamOperator<IdJoinRow>
        implements OneInputStreamOperator<String, IdJoinRow>, BoundedOneInput {
    private static final long serialVersionUID = 1L;
    public static final OutputTag<PrepareFact> FACTS = new OutputTag<>("id-count") {};
    /** The catalog size, for the popularity order (the item assigner only). */
    public static final OutputTag<ItemCounts> CATALOG = new OutputTag<>("catalog-size") {};

    private final String path;
    private final String idColumn;
    private final String indexColumn;
    /** {@link PrepareFact#USERS} or {@link PrepareFact#ITEMS}. */
    private final String kind;
    private transient IdMapFile.Writer writer;
    private transient String previous;

    public DenseIdAssigner(String path, String idColumn, String indexColumn, String kind) {
        this.path = path;
        this.idColumn = idColumn;
        this.indexColumn = indexColumn;
        this.kind = kind;
    }

    @Override
    public void open() throws Exception {
        super.open();
        writer = new IdMapFile.Writer(new Path(path), idColumn, indexColumn);
    }

    @Override
    public void processElement(StreamRecord<String> element) throws Exception {
        String id = element.getValue();
        if (previous != null && RawIdOrder.INSTANCE.compare(previous, id) >= 0) {
            // The sort and the distinct step upstream guarantee this; a broken guarantee would corrupt every index.
            throw new IllegalStateException(path + ": raw ids out of order or repeated: '" + previous + "', '" + id + "'");
        }
        previous = id;
        if (writer.size() == Integer.MAX_VALUE) {
            throw new IllegalStateException(path + ": more than " + Integer.MAX_VALUE + " distinct " + kind);
        }
        int index = (int) writer.add(id);
        output.collect(new StreamRecord<>(IdJoinRow.index(id, index)));
    }

    @Override
    public void endInput() throws Exception {
        writer.close();
        long ids = writer.size();
        writer = null;
        LOG.info("Wrote {}: {} distinct {}", path, ids, kind);
        output.collect(FACTS, new StreamRecord<>(PrepareFact.count(kind, ids)));
        if (PrepareFact.ITEMS.equals(kind)) {
            output.collect(CATALOG, new StreamRecord<>(new ItemCounts((int) ids, new int[0])));
        }
    }

    @Override
    public void close() throws Exception {
        if (writer != null) {
            writer.close();
        }
        super.close();
    }
}
