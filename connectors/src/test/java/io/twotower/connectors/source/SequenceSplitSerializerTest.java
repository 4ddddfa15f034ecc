package io.twotower.connectors.source;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Splits round-trip through their serializer, and version-1 bytes (no epoch base) still read. */
class SequenceSplitSerializerTest {
    private final SequenceSplitSerializer serializer = new SequenceSplitSerializer();

    @Test
    void fileSplitRoundTripsWithItsProgress() throws IOException {
        SequenceSplit split = SequenceSplit.file(3, 2, "file:///data/part-2.parquet", 0).withProgress(17, 1200);
        SequenceSplit back = serializer.deserialize(serializer.getVersion(), serializer.serialize(split));
        assertThat(back.epoch).isEqualTo(3);
        assertThat(back.fileIndex).isEqualTo(2);
        assertThat(back.paths).containsExactly("file:///data/part-2.parquet");
        assertThat(back.offset).isEqualTo(17);
        assertThat(back.epochBase).isEqualTo(1200);
        assertThat(back.splitId()).isEqualTo(split.splitId());
    }

    @Test
    void partsReadTogetherRoundTripInOrder() throws IOException {
        SequenceSplit split = SequenceSplit.files(1, 0, java.util.List.of("s3://b/p0.parquet", "s3://b/p1.parquet",
                "s3://b/p2.parquet"), 5, -1);
        SequenceSplit back = serializer.deserialize(serializer.getVersion(), serializer.serialize(split));
        assertThat(back.paths).containsExactly("s3://b/p0.parquet", "s3://b/p1.parquet", "s3://b/p2.parquet");
        assertThat(back.offset).isEqualTo(5);
        assertThat(back.splitId()).isEqualTo("epoch-1-file-0");
    }

    @Test
    void mergedSplitRoundTripsWithEveryReadersRows() throws IOException {
        SequenceSplit split = SequenceSplit.merged(2, 1, java.util.List.of("s3://b/p1.parquet", "s3://b/p3.parquet"), 0,
                1, new long[] {900, 1100, 0}).withProgress(44, 0);
        SequenceSplit back = serializer.deserialize(serializer.getVersion(), serializer.serialize(split));
        assertThat(back.isMerged()).isTrue();
        assertThat(back.subtask).isEqualTo(1);
        assertThat(back.readerRows).containsExactly(900, 1100, 0);
        assertThat(back.offset).isEqualTo(44);
        assertThat(back.paths).containsExactly("s3://b/p1.parquet", "s3://b/p3.parquet");
        assertThat(serializer.deserialize(serializer.getVersion(), serializer.serialize(SequenceSplit.files(2, 1,
                java.util.List.of("s3://b/p1.parquet"), 3, -1))).isMerged()).as("one reader's split").isFalse();
    }

    @Test
    void markerRoundTrips() throws IOException {
        SequenceSplit back = serializer.deserialize(serializer.getVersion(),
                serializer.serialize(SequenceSplit.endOfEpoch(4, 1)));
        assertThat(back.isEndOfEpoch()).isTrue();
        assertThat(back.splitId()).isEqualTo("epoch-4-end-1");
    }

    @Test
    void versionOneReadsWithoutEpochBase() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeInt(1);
            out.writeInt(0);
            out.writeUTF("file:///data/train.parquet");
            out.writeLong(40);
            out.writeInt(-1);
        }
        SequenceSplit back = serializer.deserialize(1, bytes.toByteArray());
        assertThat(back.paths).containsExactly("file:///data/train.parquet");
        assertThat(back.offset).isEqualTo(40);
        assertThat(back.epochBase).isEqualTo(-1);
        assertThatThrownBy(() -> serializer.deserialize(9, bytes.toByteArray())).hasMessageContaining("version 9");
    }
}
