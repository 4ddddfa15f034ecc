package io.twotower.job;

import io.twotower.connectors.dataset.DatasetLayout;
import io.twotower.job.train.PreparedData;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType;
import org.apache.parquet.schema.Types;
import io.twotower.connectors.parquet.FlinkOutputFile;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.nio.file.StandardCopyOption;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Bad prepared data fails before any training, with the file, row and column; a command whose job fails on bad
 * input or settings ends with one {@code error:} line naming the cause, not Flink's stack trace.
 */
class BadTrainingInputITCase {
    @RegisterExtension
    static final MiniClusterExtension CLUSTER = MiniClusters.withTrainerSlot();

    @TempDir
    static Path shared;
    static Path good;

    @BeforeAll
    static void prepareData() throws Exception {
        good = PrepareJobITCase.prepareSynthetic(shared, 20, 30, 3, 5, 3);
    }

    static Path copyOfGood(Path dir) throws Exception {
        Files.createDirectories(dir);
        try (var files = Files.list(good)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Files.copy(f, dir.resolve(f.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        return dir;
    }

    @Test
    void missingFile(@TempDir Path dir) throws Exception {
        Path data = copyOfGood(dir.resolve("d"));
        Files.delete(data.resolve(DatasetLayout.VALIDATION));
        assertThatThrownBy(() -> PreparedData.validate(data.toString()))
                .hasMessageContaining(DatasetLayout.VALIDATION).hasMessageContaining("file not found");
    }

    @Test
    void indexOutsideTheMaps(@TempDir Path dir) throws Exception {
        Path data = copyOfGood(dir.resolve("d"));
        MessageType schema = Types.buildMessage()
                .required(PrimitiveType.PrimitiveTypeName.INT32).named("user_idx")
                .required(PrimitiveType.PrimitiveTypeName.INT32).named("pos_item_idx")
                .optional(PrimitiveType.PrimitiveTypeName.BINARY).as(LogicalTypeAnnotation.stringType()).named("history_idx")
                .named("s");
        write(data.resolve(DatasetLayout.TRAIN), schema, g -> { }, 3, 99_999);
        assertThatThrownBy(() -> PreparedData.validate(data.toString()))
                .hasMessageContaining(DatasetLayout.TRAIN)
                .hasMessageContaining("row 2, column 'pos_item_idx': item index 99999 is outside the id map (0..29)");
    }

    @Test
    void wrongColumnType(@TempDir Path dir) throws Exception {
        Path data = copyOfGood(dir.resolve("d"));
        MessageType schema = Types.buildMessage()
                .required(PrimitiveType.PrimitiveTypeName.BINARY).as(LogicalTypeAnnotation.stringType()).named("user_idx")
                .required(PrimitiveType.PrimitiveTypeName.INT64).named("pos_item_idx")
                .optional(PrimitiveType.PrimitiveTypeName.BINARY).as(LogicalTypeAnnotation.stringType()).named("history_idx")
                .named("s");
        SimpleGroupFactory groups = new SimpleGroupFactory(schema);
        try (ParquetWriter<Group> writer = ExampleParquetWriter.builder(
                new FlinkOutputFile(new org.apache.flink.core.fs.Path(data.resolve(DatasetLayout.VALIDATION).toString())))
                .withType(schema).withWriteMode(org.apache.parquet.hadoop.ParquetFileWriter.Mode.OVERWRITE).build()) {
            writer.write(groups.newGroup().append("user_idx", "0").append("pos_item_idx", 1L));
        }
        assertThatThrownBy(() -> PreparedData.validate(data.toString()))
                .hasMessageContaining(DatasetLayout.VALIDATION)
                .hasMessageContaining("column 'user_idx' must be int32 or int64");
    }

    @Test
    void prepareOnACsvWithoutTheTimeColumnPrintsOneErrorLine(@TempDir Path dir) throws Exception {
        // The failure happens inside the job (the reader task): Flink's wrappers are unwrapped to the reader's message.
        assertThat(prepareError(dir, "nocol.csv", "userId,movieId,rating\n1,10,4.0\n2,11,3.5\n"))
                .contains("nocol.csv: missing column 'timestamp' (header has [userId, movieId, rating];"
                        + " choose another with --time-column)");
        assertThat(dir.resolve("out").resolve(DatasetLayout.TRAIN)).doesNotExist();
    }

    @Test
    void prepareOnAnEmptyFilePrintsOneErrorLine(@TempDir Path dir) throws Exception {
        assertThat(prepareError(dir, "empty.csv", ""))
                .contains("empty.csv: the file is empty (expected a header line)");
    }

    @Test
    void prepareOnABadTimestampNamesTheLineAndColumn(@TempDir Path dir) throws Exception {
        assertThat(prepareError(dir, "badtime.csv",
                "userId,movieId,rating,timestamp\n1,10,4.0,1600000000\n1,11,3.5,yesterday\n"))
                .contains("badtime.csv: line 3, column 'timestamp': 'yesterday' is not a timestamp (expected epoch seconds");
    }

    /**
     * Runs {@code prepare} on a CSV file {@code name} with {@code content} into {@code dir/out}; it must exit 1
     * with exactly one line on stderr, an {@code error:} line, which is returned.
     */
    static String prepareError(Path dir, String name, String content) throws Exception {
        Path csv = Files.writeString(dir.resolve(name), content);
        CliRunner cli = CliRunner.run("prepare", "--input", csv.toString(), "--output", dir.resolve("out").toString());
        assertThat(cli.exitCode).isEqualTo(1);
        assertThat(errorLines(cli)).singleElement().asString().startsWith("error: ");
        return errorLines(cli).get(0);
    }

    /** Every line the command printed on stderr (the test's log configuration logs to stdout). */
    static List<String> errorLines(CliRunner cli) {
        return cli.err.lines().toList();
    }

    interface GroupFiller {
        void fill(Group g);
    }

    /** Writes 5 rows of int32 ids (as pandas may), with {@code badValue} as row {@code badRow}'s positive. */
    static void write(Path file, MessageType schema, GroupFiller extra, int badRow, int badValue) throws Exception {
        SimpleGroupFactory groups = new SimpleGroupFactory(schema);
        try (ParquetWriter<Group> writer = ExampleParquetWriter.builder(
                new FlinkOutputFile(new org.apache.flink.core.fs.Path(file.toString())))
                .withType(schema).withWriteMode(org.apache.parquet.hadoop.ParquetFileWriter.Mode.OVERWRITE).build()) {
            for (int r = 0; r < 5; r++) {
                Group g = groups.newGroup().append("user_idx", r).append("pos_item_idx", r == badRow - 1 ? badValue : r);
                if (r > 0) {
                    g.append("history_idx", "0 1");
                }
                extra.fill(g);
                writer.write(g);
            }
        }
    }
}
