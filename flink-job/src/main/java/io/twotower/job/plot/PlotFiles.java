package io.twotower.job.plot;

import io.twotower.connectors.snapshot.SnapshotStore;
import io.twotower.connectors.snapshot.StorageErrors;
import org.apache.flink.core.fs.FSDataOutputStream;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.Path;

import java.io.IOException;
import java.util.List;

/** Reads plot input and writes figures ({@code NAME.png}, {@code NAME.svg}) on any Flink file system (s3:// too). */
public final class PlotFiles {
    private PlotFiles() {}

    /** The file's bytes; a missing file fails naming it. */
    static byte[] read(Path path) throws IOException {
        if (!exists(path)) {
            throw new PlotInputException(path + ": not found");
        }
        try {
            return SnapshotStore.read(path);
        } catch (IOException e) {
            throw StorageErrors.describe("cannot read", path, e);
        }
    }

    /** Whether the path exists; a refused or unreachable location fails naming it. */
    public static boolean exists(Path path) throws IOException {
        try {
            return path.getFileSystem().exists(path);
        } catch (IOException e) {
            throw StorageErrors.describe("cannot read", path, e);
        }
    }

    /** Writes {@code dir/name.png} and {@code dir/name.svg}, replacing older ones; returns both paths. */
    public static List<Path> write(Figure figure, Path dir, String name) throws IOException {
        // Both rendered before either is written: a failure leaves the previous pair as it was.
        byte[] png = figure.png();
        byte[] svg = figure.svg();
        Path pngPath = new Path(dir, name + ".png");
        Path svgPath = new Path(dir, name + ".svg");
        write(pngPath, png);
        write(svgPath, svg);
        return List.of(pngPath, svgPath);
    }

    private static void write(Path path, byte[] bytes) throws IOException {
        try (FSDataOutputStream out = path.getFileSystem().create(path, FileSystem.WriteMode.OVERWRITE)) {
            out.write(bytes);
        } catch (IOException e) {
            throw StorageErrors.describe("cannot write", path, e);
        }
    }
}
