package io.twotower.connectors.snapshot;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The streaming .npz writer makes the bytes of the whole-array writer that came before it. */
class NpzFormatTest {
    /** How user_tower.npz was written before it streamed: each entry's bytes whole, their CRC, then the zip. */
    private static byte[] wholeArrayWay(Map<String, byte[]> arrays) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
            for (Map.Entry<String, byte[]> e : arrays.entrySet()) {
                ZipEntry entry = new ZipEntry(e.getKey() + ".npy");
                entry.setMethod(ZipEntry.STORED);
                entry.setSize(e.getValue().length);
                CRC32 crc = new CRC32();
                crc.update(e.getValue());
                entry.setCrc(crc.getValue());
                entry.setTime(0L);
                zip.putNextEntry(entry);
                zip.write(e.getValue());
                zip.closeEntry();
            }
        }
        return bytes.toByteArray();
    }

    @Test
    void streamedEntriesGiveTheBytesOfTheWholeArrayWriter() throws Exception {
        float[] table = new float[40 * 3];
        for (int i = 0; i < table.length; i++) {
            table[i] = i * 0.25f - 7;
        }
        Map<String, byte[]> arrays = new LinkedHashMap<>();
        arrays.put("item_embedding", NpyFormat.encode(table, 40, 3));
        arrays.put("bias", NpyFormat.encodeVector(new float[] {7, 8}));

        Map<String, NpzFormat.EntryWriter> streamed = new LinkedHashMap<>();
        streamed.put("item_embedding", out -> {
            out.write(NpyFormat.header(40, 3));
            // Two rows at a time, as EmbeddingExport writes a table's chunks.
            for (int row = 0; row < 40; row += 2) {
                out.write(NpyFormat.littleEndian(java.util.Arrays.copyOfRange(table, row * 3, row * 3 + 6), 6));
            }
        });
        streamed.put("bias", out -> {
            out.write(NpyFormat.vectorHeader(2));
            out.write(NpyFormat.littleEndian(new float[] {7, 8}, 2));
        });
        ByteArrayOutputStream file = new ByteArrayOutputStream();
        file.write(new byte[] {9, 9});
        NpzFormat.write(file, streamed);
        // The caller's stream stays open and gets nothing but the zip.
        file.write(1);
        byte[] written = file.toByteArray();

        byte[] expected = wholeArrayWay(arrays);
        assertThat(java.util.Arrays.copyOfRange(written, 2, written.length - 1)).isEqualTo(expected);
        assertThat(NpzFormat.encode(arrays)).isEqualTo(expected);
    }

    @Test
    void anEntryThatWritesDifferentBytesTheSecondTimeFails() {
        int[] calls = {0};
        Map<String, NpzFormat.EntryWriter> unstable = Map.of("a", out -> out.write(new byte[] {(byte) calls[0]++}));
        assertThatThrownBy(() -> NpzFormat.write(new ByteArrayOutputStream(), unstable))
                .hasMessageContaining("crc");
    }
}
