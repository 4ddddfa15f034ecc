package io.twotower.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * NDArrays through a stream in bounded chunks of rows, so that an embedding table of any size crosses a checkpoint
 * (or any other stream) without a whole-table {@code byte[]} on the Java heap: DJL's {@code NDList.encode()} builds
 * one array of the whole list (at most 2 GB, and the heap must hold it and the stream's copy). Here the heap holds
 * one chunk at a time; on reading, the array is allocated by libtorch first and filled chunk by chunk.
 *
 * <p>Layout per array: data type name, rank, dimensions, then chunks of whole rows (first dimension), each an int
 * length and that many bytes in the array's native (little-endian) layout, ended by a length of -1.
 */
public final class ChunkedArrays {
    /** Heap bytes per chunk, far below the 64 MB a single Java array should stay under. */
    public static final int DEFAULT_CHUNK_BYTES = 16 << 20;

    private ChunkedArrays() {}

    public static void write(DataOutputStream out, NDArray array, int chunkBytes) throws IOException {
        Shape shape = array.getShape();
        out.writeUTF(array.getDataType().name());
        out.writeInt(shape.dimension());
        for (long d : shape.getShape()) {
            out.writeLong(d);
        }
        if (shape.dimension() == 0 || shape.size() == 0) {
            byte[] all = array.toByteArray();
            out.writeInt(all.length);
            out.write(all);
        } else {
            long rows = shape.get(0);
            long rowBytes = Math.max(1, shape.size() / rows * array.getDataType().getNumOfBytes());
            long perChunk = Math.max(1, chunkBytes / rowBytes);
            for (long start = 0; start < rows; start += perChunk) {
                long end = Math.min(rows, start + perChunk);
                try (NDArray slice = array.get(new NDIndex("{}:{}", start, end))) {
                    byte[] bytes = slice.toByteArray();
                    out.writeInt(bytes.length);
                    out.write(bytes);
                }
            }
        }
        out.writeInt(-1);
    }

    /** Reads an array written by {@link #write} into {@code manager} (libtorch-owned memory). */
    public static NDArray read(DataInputStream in, NDManager manager) throws IOException {
        DataType type = DataType.valueOf(in.readUTF());
        long[] dims = new long[in.readInt()];
        for (int i = 0; i < dims.length; i++) {
            dims[i] = in.readLong();
        }
        Shape shape = new Shape(dims);
        if (dims.length == 0 || shape.size() == 0) {
            // A scalar or an empty array: one small chunk, copied into libtorch memory.
            byte[] bytes = new byte[in.readInt()];
            in.readFully(bytes);
            if (in.readInt() != -1) {
                throw new IOException("chunked array of shape " + shape + " has more than one chunk");
            }
            return NativeArrays.own(manager.create(ByteBuffer.wrap(bytes), shape, type));
        }
        NDArray array = manager.zeros(shape, type);
        long rowBytes = shape.size() / dims[0] * type.getNumOfBytes();
        long row = 0;
        for (int length = in.readInt(); length >= 0; length = in.readInt()) {
            byte[] bytes = new byte[length];
            in.readFully(bytes);
            long rows = length / rowBytes;
            long[] chunkDims = dims.clone();
            chunkDims[0] = rows;
            try (NDArray chunk = manager.create(ByteBuffer.wrap(bytes), new Shape(chunkDims), type)) {
                array.set(new NDIndex("{}:{}", row, row + rows), chunk);
            }
            row += rows;
        }
        if (row != dims[0]) {
            array.close();
            throw new IOException("chunked array of shape " + shape + " ended after " + row + " rows");
        }
        return array;
    }

    public static void writeList(DataOutputStream out, NDList list, int chunkBytes) throws IOException {
        out.writeInt(list.size());
        for (NDArray a : list) {
            out.writeUTF(a.getName() == null ? "" : a.getName());
            write(out, a, chunkBytes);
        }
    }

    public static NDList readList(DataInputStream in, NDManager manager) throws IOException {
        int n = in.readInt();
        NDList list = new NDList(n);
        for (int i = 0; i < n; i++) {
            String name = in.readUTF();
            NDArray a = read(in, manager);
            if (!name.isEmpty()) {
                a.setName(name);
            }
            list.add(a);
        }
        return list;
    }
}
