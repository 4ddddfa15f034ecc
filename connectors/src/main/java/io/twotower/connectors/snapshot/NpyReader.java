package io.twotower.connectors.snapshot;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * Reads a float32 .npy array (1-D or 2-D, as {@link NpyFormat} writes and numpy saves) row by row from a
 * stream, so a reader of a large embedding matrix holds one row at a time. 1-D arrays are one row.
 */
public final class NpyReader {
    private final DataInputStream in;
    private final String name;
    private final int[] shape;
    private final byte[] rowBytes;
    private long rowsRead;

    private NpyReader(DataInputStream in, String name, int[] shape) {
        this.in = in;
        this.name = name;
        this.shape = shape;
        this.rowBytes = new byte[Math.multiplyExact(cols(), 4)];
    }

    /**
     * Reads the header from {@code in} (not closed here); {@code name} goes into error messages. Fails unless
     * the array is float32, little-endian, C order, 1-D or 2-D.
     */
    public static NpyReader open(InputStream in, String name) throws IOException {
        DataInputStream data = new DataInputStream(in);
        byte[] prefix = new byte[12];
        try {
            data.readFully(prefix, 0, 10);
            int lengthBytes = (prefix[6] & 0xFF) == 1 ? 2 : 4;
            if (lengthBytes == 4) {
                data.readFully(prefix, 10, 2);
            }
            long headerLen = 0;
            for (int i = lengthBytes - 1; i >= 0; i--) {
                headerLen = (headerLen << 8) | (prefix[8 + i] & 0xFF);
            }
            if (headerLen > NpyFormat.MAX_HEADER_BYTES) {
                throw new IOException(name + ": not a .npy file (header of " + headerLen + " bytes)");
            }
            byte[] head = Arrays.copyOf(prefix, 8 + lengthBytes + (int) headerLen);
            data.readFully(head, 8 + lengthBytes, (int) headerLen);
            return new NpyReader(data, name, NpyFormat.Header.parse(head).shape);
        } catch (EOFException e) {
            throw new IOException(name + ": not a .npy file (too short)", e);
        } catch (IOException e) {
            throw e.getMessage() != null && e.getMessage().startsWith(name) ? e : new IOException(name + ": " + e.getMessage(), e);
        }
    }

    /** The array's shape: (rows, cols) or (n,). */
    public int[] shape() {
        return shape.clone();
    }

    /** Rows of a 2-D array; 1 for a 1-D one. */
    public int rows() {
        return shape.length == 2 ? shape[0] : 1;
    }

    /** Values per row: the second dimension, or the length of a 1-D array. */
    public int cols() {
        return shape.length == 2 ? shape[1] : shape[0];
    }

    /** Fails, naming the array, unless its shape is {@code expected}. */
    public NpyReader requireShape(int... expected) throws IOException {
        if (!Arrays.equals(shape, expected)) {
            throw new IOException(String.format("%s: shape %s, expected %s", name, Arrays.toString(shape),
                    Arrays.toString(expected)));
        }
        return this;
    }

    /** Reads the next row into {@code out[0 .. cols())}. */
    public void readRow(float[] out) throws IOException {
        if (rowsRead >= rows()) {
            throw new IOException(name + ": read past the last of " + rows() + " rows");
        }
        try {
            in.readFully(rowBytes);
        } catch (EOFException e) {
            throw new IOException(name + ": ends inside row " + rowsRead + " of " + rows(), e);
        }
        ByteBuffer.wrap(rowBytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out, 0, cols());
        rowsRead++;
    }

    /** Skips {@code n} rows (a seek where the stream can seek). */
    public void skipRows(long n) throws IOException {
        if (n < 0 || rowsRead + n > rows()) {
            throw new IOException(name + ": cannot skip " + n + " rows after row " + rowsRead + " of " + rows());
        }
        try {
            in.skipNBytes(n * rowBytes.length);
        } catch (EOFException e) {
            throw new IOException(name + ": ends before row " + (rowsRead + n) + " of " + rows(), e);
        }
        rowsRead += n;
    }

    /** The remaining values, row-major (for small arrays: a bias, a layer's weights). */
    public float[] readAll() throws IOException {
        long remaining = rows() - rowsRead;
        float[] out = new float[Math.toIntExact(remaining * cols())];
        float[] row = new float[cols()];
        for (int r = 0; r < remaining; r++) {
            readRow(row);
            System.arraycopy(row, 0, out, r * cols(), cols());
        }
        return out;
    }
}
