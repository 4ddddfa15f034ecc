package io.twotower.connectors.snapshot;

import java.io.ByteArrayOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
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

    /**
     * Writes one array's .npy bytes (header, then data); called twice with the same output expected: once to
     * size and checksum the entry, once to store it.
     */
    public interface EntryWriter {
        void writeTo(OutputStream out) throws IOException;
    }

    /** Encodes {@code arrays} (name to .npy bytes); each becomes the entry {@code name.npy}. */
    public static byte[] encode(Map<String, byte[]> arrays) {
        Map<String, EntryWriter> entries = new LinkedHashMap<>();
        arrays.forEach((name, data) -> entries.put(name, out -> out.write(data)));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try {
            write(bytes, entries);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /**
     * Streams an .npz file to {@code out} (not closed), entry by entry, with no array held whole: the bytes
     * {@link #encode} gives for the same arrays. A stored zip entry carries its size and CRC-32 ahead of its data,
     * so each entry is written twice: first into a checksum, then into the file.
     */
    public static void write(OutputStream out, Map<String, EntryWriter> arrays) throws IOException {
        ZipOutputStream zip = new ZipOutputStream(new FilterOutputStream(out) {
            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                out.write(b, off, len);
            }

            @Override
            public void close() throws IOException {
                flush();
            }
        });
        for (Map.Entry<String, EntryWriter> e : arrays.entrySet()) {
            CRC32 crc = new CRC32();
            long[] size = new long[1];
            e.getValue().writeTo(new OutputStream() {
                @Override
                public void write(int b) {
                    crc.update(b);
                    size[0]++;
                }

                @Override
                public void write(byte[] b, int off, int len) {
                    crc.update(b, off, len);
                    size[0] += len;
                }
            });
            ZipEntry entry = new ZipEntry(e.getKey() + ".npy");
            entry.setMethod(ZipEntry.STORED);
            entry.setSize(size[0]);
            entry.setCrc(crc.getValue());
            // A fixed time keeps the bytes (and the manifest's checksum) a function of the arrays alone.
            entry.setTime(0L);
            zip.putNextEntry(entry);
            e.getValue().writeTo(zip);
            zip.closeEntry();
        }
        // Writes the central directory; the wrapper keeps the caller's stream open.
        zip.close();
    }
}
