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
import java.nio.file.StandardCopyOption;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Bad prepared data fails before any training, with the file, row and column. */
class BadTrainingInputITCase {
    @RegisterExtension
    static final MiniClusterExtension CLUSTER = MiniClusters.withTrainerSlot();

    @TempDir
    static Path shared;
    static Path good;

    @BeforeAll
    static void prepareData() throws Exception {
        Path log = SyntheticInteractions.writeCsv(shared.resolve("log.csv"), 20, 30, 3, 5, 3);
        good = shared.resolve("good");
        PrepareJobITCase.prepare(log.toString(), good.toString());
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
