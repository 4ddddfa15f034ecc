package io.twotower.connectors.parquet;

import org.apache.flink.core.fs.FSDataInputStream;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.Path;
import org.apache.parquet.io.DelegatingSeekableInputStream;
import org.apache.parquet.io.InputFile;
import org.apache.parquet.io.SeekableInputStream;

import java.io.IOException;

/** A Parquet {@link InputFile} over any Flink file system (file://, s3://, ...), no Hadoop FileSystem. */
public final class FlinkInputFile implements InputFile {
    private final Path path;
    private final FileSystem fs;

    public FlinkInputFile(Path path) throws IOException {
        this.path = path;
        this.fs = path.getFileSystem();
    }

    @Override
    public long getLength() throws IOException {
        return fs.getFileStatus(path).getLen();
    }

    @Override
    public SeekableInputStream newStream() throws IOException {
        FSDataInputStream in = fs.open(path);
        return new DelegatingSeekableInputStream(in) {
            @Override
            public long getPos() throws IOException {
                return in.getPos();
            }

            @Override
            public void seek(long newPos) throws IOException {
                in.seek(newPos);
            }
        };
    }

    @Override
    public String toString() {
        return path.toString();
    }
}
