package io.twotower.connectors.snapshot;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** NumPy's .npy format (version 1.0) for 2-D little-endian float32 matrices in C order. */
public final class NpyFormat {
    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final Pattern SHAPE = Pattern.compile("'shape':\\s*\\((\\d+),\\s*(\\d+)\\)");

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
        String dict = "{'descr': '<f4', 'fortran_order': False, 'shape': " + shape + ", }";
        // Magic (6) + version (2) + header length (2) + header, padded with spaces to a multiple of 64, then '\n'.
        int unpadded = 10 + dict.length() + 1;
        int padding = (64 - unpadded % 64) % 64;
        StringBuilder header = new StringBuilder(dict);
        header.append(" ".repeat(padding)).append('\n');
        byte[] headerBytes = header.toString().getBytes(StandardCharsets.US_ASCII);
        ByteBuffer buf = ByteBuffer.allocate(10 + headerBytes.length + values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        buf.put(MAGIC).put((byte) 1).put((byte) 0).putShort((short) headerBytes.length).put(headerBytes);
        buf.asFloatBuffer().put(values);
        return buf.array();
    }

    /** The (rows, cols) of a float32 .npy file, checking that the data length matches. */
    public static int[] shape(byte[] npy) throws IOException {
        if (npy.length < 10) {
            throw new IOException("not a .npy file (too short)");
        }
        for (int i = 0; i < MAGIC.length; i++) {
            if (npy[i] != MAGIC[i]) {
                throw new IOException("not a .npy file (bad magic)");
            }
        }
        int headerLen = (npy[8] & 0xFF) | ((npy[9] & 0xFF) << 8);
        String header = new String(npy, 10, headerLen, StandardCharsets.US_ASCII);
        if (!header.contains("'<f4'")) {
            throw new IOException("expected little-endian float32 ('<f4'), header: " + header.trim());
        }
        Matcher m = SHAPE.matcher(header);
        if (!m.find()) {
            throw new IOException("expected a 2-D shape, header: " + header.trim());
        }
        int rows = Integer.parseInt(m.group(1));
        int cols = Integer.parseInt(m.group(2));
        long expected = 10L + headerLen + 4L * rows * cols;
        if (npy.length != expected) {
            throw new IOException("data length " + npy.length + " does not match shape (" + rows + ", " + cols + ")");
        }
        return new int[] {rows, cols};
    }

    /** Decodes the float32 values of a .npy file (row-major). */
    public static float[] values(byte[] npy) throws IOException {
        int[] shape = shape(npy);
        int headerLen = (npy[8] & 0xFF) | ((npy[9] & 0xFF) << 8);
        float[] out = new float[shape[0] * shape[1]];
        ByteBuffer.wrap(npy, 10 + headerLen, out.length * 4).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
        return out;
    }
}
