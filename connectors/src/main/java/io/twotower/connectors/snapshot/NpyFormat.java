package io.twotower.connectors.snapshot;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** NumPy's .npy format for little-endian float32 arrays in C order: writes version 1.0 (2-D or 1-D), parses 1-D and 2-D headers. */
public final class NpyFormat {
    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    /** (rows, cols) or (n,). */
    private static final Pattern SHAPE = Pattern.compile("'shape':\\s*\\((\\d+)\\s*,\\s*(?:(\\d+)\\s*,?\\s*)?\\)");
    /** Enough leading bytes of any version 1.0 .npy file to hold its header (its length field is 2 bytes). */
    public static final int MAX_HEADER_BYTES = 10 + 65535;

    private NpyFormat() {}

    /** Encodes a rows x cols matrix given row-major. */
    public static byte[] encode(float[] values, int rows, int cols) {
        if ((long) rows * cols != values.length) {
            throw new IllegalArgumentException("shape (" + rows + ", " + cols + ") does not match " + values.length + " values");
        }
        return encode(values, "(" + rows + ", " + cols + ")");
    }

    /** Encodes a 1-D vector, shape (n,). */
    public static byte[] encodeVector(float[] values) {
        return encode(values, "(" + values.length + ",)");
    }

    private static byte[] encode(float[] values, String shape) {
        byte[] header = header(shape);
        ByteBuffer buf = ByteBuffer.allocate(header.length + values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        buf.put(header);
        buf.asFloatBuffer().put(values);
        return buf.array();
    }

    /**
     * The header of a rows x cols float32 matrix: a writer that streams the file writes it, then the
     * {@code 4 * rows * cols} bytes of the values, row-major, little-endian ({@link #littleEndian}).
     */
    public static byte[] header(long rows, int cols) {
        return header("(" + rows + ", " + cols + ")");
    }

    /** The header of a 1-D float32 vector of n values, shape (n,). */
    public static byte[] vectorHeader(long n) {
        return header("(" + n + ",)");
    }

    private static byte[] header(String shape) {
        String dict = "{'descr': '<f4', 'fortran_order': False, 'shape': " + shape + ", }";
        // Magic (6) + version (2) + header length (2) + header, padded with spaces to a multiple of 64, then '\n'.
        int unpadded = 10 + dict.length() + 1;
        int padding = (64 - unpadded % 64) % 64;
        StringBuilder header = new StringBuilder(dict);
        header.append(" ".repeat(padding)).append('\n');
        byte[] headerBytes = header.toString().getBytes(StandardCharsets.US_ASCII);
        ByteBuffer buf = ByteBuffer.allocate(10 + headerBytes.length).order(ByteOrder.LITTLE_ENDIAN);
        buf.put(MAGIC).put((byte) 1).put((byte) 0).putShort((short) headerBytes.length).put(headerBytes);
        return buf.array();
    }

    /** {@code values[0..n)} as the little-endian bytes of a .npy file's data. */
    public static byte[] littleEndian(float[] values, int n) {
        ByteBuffer buf = ByteBuffer.allocate(n * 4).order(ByteOrder.LITTLE_ENDIAN);
        buf.asFloatBuffer().put(values, 0, n);
        return buf.array();
    }

    /** The (rows, cols) of a float32 .npy file, checking that the data length matches. */
    public static int[] shape(byte[] npy) throws IOException {
        return shape(npy, npy.length);
    }

    /**
     * The (rows, cols) of a float32 .npy file of {@code length} bytes whose first bytes are {@code head} (at
     * least the header; {@link #MAX_HEADER_BYTES} always suffice): what a verifier that streams the file keeps.
     */
    public static int[] shape(byte[] head, long length) throws IOException {
        Header header = Header.parse(head);
        if (header.shape.length != 2) {
            throw new IOException("expected a 2-D shape, header: " + header.text);
        }
        int rows = header.shape[0];
        int cols = header.shape[1];
        long expected = header.dataOffset + 4L * rows * cols;
        if (length != expected) {
            throw new IOException("data length " + length + " does not match shape (" + rows + ", " + cols + ")");
        }
        return new int[] {rows, cols};
    }

    /** Decodes the float32 values of a .npy file (row-major). */
    public static float[] values(byte[] npy) throws IOException {
        int[] shape = shape(npy);
        int offset = Header.parse(npy).dataOffset;
        float[] out = new float[shape[0] * shape[1]];
        ByteBuffer.wrap(npy, offset, out.length * 4).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
        return out;
    }

    /** A parsed .npy header: float32, little-endian, C order, 1-D or 2-D. */
    static final class Header {
        final int dataOffset;
        final int[] shape;
        final String text;

        private Header(int dataOffset, int[] shape, String text) {
            this.dataOffset = dataOffset;
            this.shape = shape;
            this.text = text;
        }

        /** Parses the header at the start of {@code head} (version 1.0, or 2.0/3.0 with a 4-byte length). */
        static Header parse(byte[] head) throws IOException {
            if (head.length < 10) {
                throw new IOException("not a .npy file (too short)");
            }
            for (int i = 0; i < MAGIC.length; i++) {
                if (head[i] != MAGIC[i]) {
                    throw new IOException("not a .npy file (bad magic)");
                }
            }
            int major = head[6] & 0xFF;
            int lengthBytes = major == 1 ? 2 : 4;
            if (major < 1 || major > 3 || head.length < 8 + lengthBytes) {
                throw new IOException("not a .npy file this reader knows (version " + major + ")");
            }
            long headerLen = 0;
            for (int i = lengthBytes - 1; i >= 0; i--) {
                headerLen = (headerLen << 8) | (head[8 + i] & 0xFF);
            }
            int offset = 8 + lengthBytes;
            if (offset + headerLen > head.length) {
                throw new IOException("not a .npy file (header of " + headerLen + " bytes is cut short)");
            }
            String text = new String(head, offset, (int) headerLen, StandardCharsets.ISO_8859_1).trim();
            if (!text.contains("'<f4'")) {
                throw new IOException("expected little-endian float32 ('<f4'), header: " + text);
            }
            if (!text.contains("'fortran_order': False")) {
                throw new IOException("expected C order ('fortran_order': False), header: " + text);
            }
            Matcher m = SHAPE.matcher(text);
            if (!m.find()) {
                throw new IOException("expected a 1-D or 2-D shape, header: " + text);
            }
            int[] shape = m.group(2) == null
                    ? new int[] {Integer.parseInt(m.group(1))}
                    : new int[] {Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2))};
            return new Header(offset + (int) headerLen, shape, text);
        }
    }
}
