package io.twotower.connectors.parquet;

import org.apache.flink.core.fs.FSDataOutputStream;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.Path;
import org.apache.parquet.io.OutputFile;
import org.apache.parquet.io.PositionOutputStream;

import java.io.IOException;

/** A Parquet {@link OutputFile} over any Flink file system. */
public final class FlinkOutputFile implements OutputFile {
    private static final long DEFAULT_BLOCK_SIZE = 128L * 1024 * 1024;
    private final Path path;

    public FlinkOutputFile(Path path) {
        this.path = path;
    }

    @Override
    public PositionOutputStream create(long blockSizeHint) throws IOException {
        return open(FileSystem.WriteMode.NO_OVERWRITE);
    }

    @Override
    public PositionOutputStream createOrOverwrite(long blockSizeHint) throws IOException {
        return open(FileSystem.WriteMode.OVERWRITE);
    }

    private PositionOutputStream open(FileSystem.WriteMode mode) throws IOException {
        FSDataOutputStream out = path.getFileSystem().create(path, mode);
        return new PositionOutputStream() {
            @Override
            public long getPos() throws IOException {
                return out.getPos();
            }

            @Override
            public void write(int b) throws IOException {
                out.write(b);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                out.write(b, off, len);
            }

            @Override
            public void flush() throws IOException {
                out.flush();
            }

            @Override
            public void close() throws IOException {
                out.close();
            }
        };
    }

    @Override
    public boolean supportsBlockSize() {
        return false;
    }

    @Override
    public long defaultBlockSize() {
        return DEFAULT_BLOCK_SIZE;
    }

    @Override
    public String getPath() {
        return path.toString();
    }
}
