package io.twotower.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class ChunkedArraysTest {
    private static byte[] written(NDList list, int chunkBytes) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            ChunkedArrays.writeList(out, list, chunkBytes);
        }
        return bytes.toByteArray();
    }

    @Test
    void roundTripsBitIdenticallyInManySmallChunks() throws IOException {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray table = m.randomNormal(new Shape(1001, 7));
            table.setName("item_embedding");
            NDArray vector = m.randomNormal(new Shape(13));
            NDArray scalar = m.create(new float[] {3.5f}).reshape(new Shape());
            NDArray ids = m.arange(0L, 50L, 1L, DataType.INT64).reshape(10, 5);
            NDArray empty = m.zeros(new Shape(0, 4));
            NDList list = new NDList(table, vector, scalar, ids, empty);
            // 100 bytes per chunk: the table goes through as 3-row chunks (334 of them).
            byte[] bytes = written(list, 100);
            NDList back = ChunkedArrays.readList(new DataInputStream(new ByteArrayInputStream(bytes)), m);
            assertThat(back).hasSize(5);
            for (int i = 0; i < list.size(); i++) {
                assertThat(back.get(i).getShape()).isEqualTo(list.get(i).getShape());
                assertThat(back.get(i).getDataType()).isEqualTo(list.get(i).getDataType());
                assertThat(Arrays.equals(back.get(i).toByteArray(), list.get(i).toByteArray())).as("array %d", i).isTrue();
            }
            assertThat(back.get(0).getName()).isEqualTo("item_embedding");
            // One chunk or many: the same arrays.
            NDList once = ChunkedArrays.readList(new DataInputStream(new ByteArrayInputStream(
                    written(list, ChunkedArrays.DEFAULT_CHUNK_BYTES))), m);
            assertThat(once.get(0).toByteArray()).isEqualTo(back.get(0).toByteArray());
        }
    }

    @Test
    void aTruncatedTableIsAnError() throws IOException {
        try (NDManager m = NDManager.newBaseManager()) {
            byte[] bytes = written(new NDList(m.ones(new Shape(10, 4))), 32);
            // Drop the last chunk (4 + 32 bytes) but keep the end marker.
            byte[] cut = new byte[bytes.length - 36];
            System.arraycopy(bytes, 0, cut, 0, bytes.length - 40);
            System.arraycopy(bytes, bytes.length - 4, cut, cut.length - 4, 4);
            assertThatThrownBy(() -> ChunkedArrays.readList(new DataInputStream(new ByteArrayInputStream(cut)), m))
                    .isInstanceOf(IOException.class).hasMessageContaining("ended after 8 rows");
        }
    }
}
