package io.twotower.connectors.snapshot;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

/** NumPy's .npz: a zip of .npy entries, stored uncompressed, that {@code numpy.load} opens by name. */
public final class NpzFormat {
    /** Receives each array of an .npz file in the order it is stored. */
    public interface ArrayVisitor {
        /** {@code name} is the entry's name without {@code .npy}; read from {@code array} or not at all. */
        void visit(String name, NpyReader array) throws IOException;
    }

    private NpzFormat() {}

    /**
     * Streams the arrays of an .npz file from {@code in} (not closed here), one entry at a time, so a reader
     * that wants a few rows of a large array never holds all of it. {@code name} goes into error messages.
     */
    public static void read(InputStream in, String name, ArrayVisitor visitor) throws IOException {
        ZipInputStream zip = new ZipInputStream(in);
        try {
            ZipEntry entry;
            while ((entry = zip.getNextEntry()) != null) {
                String entryName = entry.getName();
                if (entryName.endsWith(".npy")) {
                    String array = entryName.substring(0, entryName.length() - 4);
                    visitor.visit(array, NpyReader.open(zip, name + "[" + array + "]"));
                }
                zip.closeEntry();
            }
        } catch (ZipException e) {
            throw new IOException(name + ": not a readable .npz (zip) file: " + e.getMessage(), e);
        }
    }

    /** Encodes {@code arrays} (name to .npy bytes); each becomes the entry {@code name.npy}. */
    public static byte[] encode(Map<String, byte[]> arrays) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
            for (Map.Entry<String, byte[]> e : arrays.entrySet()) {
                byte[] data = e.getValue();
                ZipEntry entry = new ZipEntry(e.getKey() + ".npy");
                entry.setMethod(ZipEntry.STORED);
                entry.setSize(data.length);
                CRC32 crc = new CRC32();
                crc.update(data);
                entry.setCrc(crc.getValue());
                // A fixed time keeps the bytes (and the manifest's checksum) a function of the arrays alone.
                entry.setTime(0L);
                zip.putNextEntry(entry);
                zip.write(data);
                zip.closeEntry();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }
}
