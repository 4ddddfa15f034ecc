package io.twotower.connectors.snapshot;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class NpyReaderTest {
    @Test
    void streamsRowsSkipsAndReadsVectors() throws Exception {
        float[] values = {1, 2, 3, 4, 5, 6, 7, 8, 9};
        NpyReader matrix = NpyReader.open(new ByteArrayInputStream(NpyFormat.encode(values, 3, 3)), "m.npy");
        assertThat(matrix.shape()).containsExactly(3, 3);
        float[] row = new float[3];
        matrix.skipRows(1);
        matrix.readRow(row);
        assertThat(row).containsExactly(4, 5, 6);
        assertThat(matrix.readAll()).containsExactly(7, 8, 9);
        assertThatThrownBy(() -> matrix.readRow(row)).hasMessage("m.npy: read past the last of 3 rows");

        NpyReader vector = NpyReader.open(new ByteArrayInputStream(NpyFormat.encodeVector(new float[] {0.5f, -1f})),
                "v.npy").requireShape(2);
        assertThat(vector.rows()).isEqualTo(1);
        assertThat(vector.readAll()).containsExactly(0.5f, -1f);
    }

    @Test
    void readsWhatNumpySaves() throws Exception {
        // numpy.save of np.arange(3, dtype='<f4'): a 1-D shape written "(3,)".
        String dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }";
        String header = dict + " ".repeat((64 - (10 + dict.length() + 1) % 64) % 64) + "\n";
        java.io.ByteArrayOutputStream npy = new java.io.ByteArrayOutputStream();
        npy.write(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (byte) header.length(), 0});
        npy.write(header.getBytes(StandardCharsets.US_ASCII));
        npy.write(new byte[] {0, 0, 0, 0, 0, 0, (byte) 0x80, 0x3F, 0, 0, 0, 0x40});
        assertThat(NpyReader.open(new ByteArrayInputStream(npy.toByteArray()), "a.npy").readAll())
                .containsExactly(0f, 1f, 2f);
    }

    @Test
    void rejectsOtherTypesAndShortFiles() {
        byte[] npy = NpyFormat.encode(new float[4], 2, 2);
        byte[] big = new String(npy, StandardCharsets.ISO_8859_1).replace("'<f4'", "'>f4'").getBytes(StandardCharsets.ISO_8859_1);
        assertThatThrownBy(() -> NpyReader.open(new ByteArrayInputStream(big), "b.npy"))
                .hasMessageStartingWith("b.npy: expected little-endian float32");
        assertThatThrownBy(() -> NpyReader.open(new ByteArrayInputStream(new byte[5]), "s.npy"))
                .hasMessage("s.npy: not a .npy file (too short)");
        assertThatThrownBy(() -> NpyReader.open(new ByteArrayInputStream(npy), "m.npy").requireShape(3, 2))
                .hasMessage("m.npy: shape [2, 2], expected [3, 2]");
        NpyReader cut = uncheckedOpen(java.util.Arrays.copyOf(npy, npy.length - 2));
        assertThatThrownBy(() -> cut.skipRows(2)).hasMessageContaining("ends before row 2 of 2");
    }

    @Test
    void streamsTheArraysOfAnNpz() throws Exception {
        Map<String, byte[]> arrays = new LinkedHashMap<>();
        arrays.put("table", NpyFormat.encode(new float[] {1, 2, 3, 4, 5, 6}, 3, 2));
        arrays.put("bias", NpyFormat.encodeVector(new float[] {7, 8}));
        List<String> seen = new ArrayList<>();
        float[] row = new float[2];
        NpzFormat.read(new ByteArrayInputStream(NpzFormat.encode(arrays)), "t.npz", (name, array) -> {
            seen.add(name + java.util.Arrays.toString(array.shape()));
            if (name.equals("table")) {
                array.skipRows(2);
                array.readRow(row);
            }
        });
        assertThat(seen).containsExactly("table[3, 2]", "bias[2]");
        assertThat(row).containsExactly(5, 6);
    }

    private static NpyReader uncheckedOpen(byte[] bytes) {
        try {
            return NpyReader.open(new ByteArrayInputStream(bytes), "c.npy");
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }
}
