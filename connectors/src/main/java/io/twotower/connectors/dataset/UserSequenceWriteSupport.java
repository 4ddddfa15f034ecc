package io.twotower.connectors.dataset;

import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.api.WriteSupport;
import org.apache.parquet.io.OutputFile;
import org.apache.parquet.io.api.RecordConsumer;

import java.util.Map;

import static io.twotower.connectors.dataset.DatasetLayout.SEQUENCE_ITEMS_COLUMN;
import static io.twotower.connectors.dataset.DatasetLayout.USER_COLUMN;

/**
 * Writes a part's rows straight to parquet-mr's record consumer: a user and a slice of an item array, with no
 * per-item objects (the example {@code Group} writer built one group per list element; this writes the same schema
 * and values 1.8x faster, BENCHMARKS.md "Data scale").
 */
final class UserSequenceWriteSupport extends WriteSupport<UserSequenceWriteSupport.Row> {
    /** One user's row: {@code items[from .. to)}; reused by the writer for every row. */
    static final class Row {
        int user;
        int[] items;
        int from;
        int to;
    }

    private RecordConsumer out;

    @Override
    public WriteContext init(Configuration configuration) {
        return new WriteContext(UserSequenceFiles.SCHEMA, Map.of());
    }

    @Override
    public String getName() {
        return "twotower-user-sequences";
    }

    @Override
    public void prepareForWrite(RecordConsumer recordConsumer) {
        this.out = recordConsumer;
    }

    @Override
    public void write(Row row) {
        out.startMessage();
        out.startField(USER_COLUMN, 0);
        out.addLong(row.user);
        out.endField(USER_COLUMN, 0);
        out.startField(SEQUENCE_ITEMS_COLUMN, 1);
        out.startGroup();
        if (row.to > row.from) {
            // The LIST's repeated group: one per element (an empty list writes none).
            out.startField(UserSequenceFiles.LIST, 0);
            for (int i = row.from; i < row.to; i++) {
                out.startGroup();
                out.startField(UserSequenceFiles.ELEMENT, 0);
                out.addInteger(row.items[i]);
                out.endField(UserSequenceFiles.ELEMENT, 0);
                out.endGroup();
            }
            out.endField(UserSequenceFiles.LIST, 0);
        }
        out.endGroup();
        out.endField(SEQUENCE_ITEMS_COLUMN, 1);
        out.endMessage();
    }

    /** The builder parquet-mr's writer needs for a write support of its own. */
    static final class Builder extends ParquetWriter.Builder<Row, Builder> {
        Builder(OutputFile file) {
            super(file);
        }

        @Override
        protected Builder self() {
            return this;
        }

        @Override
        protected WriteSupport<Row> getWriteSupport(Configuration conf) {
            return new UserSequenceWriteSupport();
        }
    }
}
