package io.twotower.connectors.snapshot;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class NpyFormatTest {
    @Test
    void roundTripsAMatrixWithNumpysHeader() throws IOException {
        float[] values = {0f, 1.5f, -2.25f, Float.MIN_VALUE, 3e38f, -0f};
        byte[] npy = NpyFormat.encode(values, 2, 3);

        // What numpy.save writes for np.zeros((2, 3), '<f4'): magic, version 1.0, a header padded to 64 bytes.
        String header = new String(npy, 10, 118, StandardCharsets.US_ASCII);
        assertThat(npy[0]).isEqualTo((byte) 0x93);
        assertThat(new String(npy, 1, 5, StandardCharsets.US_ASCII)).isEqualTo("NUMPY");
        assertThat(npy[6]).isEqualTo((byte) 1);
        assertThat(npy[7]).isEqualTo((byte) 0);
        assertThat((npy[8] & 0xFF) | (npy[9] & 0xFF) << 8).isEqualTo(118);
        assertThat(header).startsWith("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }").endsWith(" \n");
        assertThat(npy).hasSize(128 + 6 * 4);
        // Little-endian: 1.5f is 0x3FC00000, stored low byte first.
        assertThat(new byte[] {npy[132], npy[133], npy[134], npy[135]})
                .containsExactly((byte) 0x00, (byte) 0x00, (byte) 0xC0, (byte) 0x3F);

        assertThat(NpyFormat.shape(npy)).containsExactly(2, 3);
        assertThat(NpyFormat.values(npy)).containsExactly(values);
    }

    @Test
    void rejectsWhatItCannotRead() {
        byte[] npy = NpyFormat.encode(new float[4], 2, 2);
        byte[] truncated = java.util.Arrays.copyOf(npy, npy.length - 1);
        assertThatThrownBy(() -> NpyFormat.shape(truncated)).hasMessageContaining("does not match shape (2, 2)");
        assertThatThrownBy(() -> NpyFormat.shape(new byte[12])).hasMessageContaining("bad magic");
        assertThatThrownBy(() -> NpyFormat.encode(new float[5], 2, 2)).hasMessageContaining("does not match 5 values");
    }
}
