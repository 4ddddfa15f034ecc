package io.twotower.job;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.twotower.common.SplitMix64;
import io.twotower.job.prepare.PrepareJob;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.zip.GZIPInputStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * bench/java/GenerateInteractions.java, compiled as the bench script runs it (against the classes of the job's
 * classpath): reproducible bytes, parts that are the one-file output cut at user boundaries, the Zipf head it
 * promises, and a log that {@code prepare} reads, with ISO times giving the rows of epoch times.
 */
class GenerateInteractionsITCase {
    @RegisterExtension
    static final MiniClusterExtension CLUSTER = MiniClusters.withTrainerSlot();

    static final Path SOURCE = Paths.get("..", "bench", "java", "GenerateInteractions.java");

    static Method main;

    @BeforeAll
    static void compile(@TempDir Path classes) throws Exception {
        String classpath = Paths.get(SplitMix64.class.getProtectionDomain().getCodeSource().getLocation().toURI())
                .toString();
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        int rc = javac.run(null, null, null, "-d", classes.toString(), "-cp", classpath, SOURCE.toString());
        assertThat(rc).as("javac %s", SOURCE).isZero();
        URLClassLoader loader = new URLClassLoader(new URL[] {classes.toUri().toURL()},
                GenerateInteractionsITCase.class.getClassLoader());
        main = loader.loadClass("GenerateInteractions").getMethod("main", String[].class);
    }

    static void generate(String... args) throws Exception {
        main.invoke(null, (Object) args);
    }

    static byte[] text(Path file) throws Exception {
        if (!file.toString().endsWith(".gz")) {
            return Files.readAllBytes(file);
        }
        try (InputStream in = new GZIPInputStream(Files.newInputStream(file))) {
            return in.readAllBytes();
        }
    }

    @Test
    void theSameSeedGivesTheSameBytesAndPartsAreTheOneFileCutAtUsers(@TempDir Path dir) throws Exception {
        String[] common = {"--interactions", "20000", "--users", "700", "--items", "500", "--clusters", "4",
                "--seed", "11"};
        generate(concat(common, "--output", dir.resolve("a.csv.gz").toString(), "--threads", "1"));
        generate(concat(common, "--output", dir.resolve("b.csv.gz").toString(), "--threads", "2"));
        generate(concat(common, "--output", dir.resolve("parts").toString(), "--files", "3", "--gzip"));
        generate(concat(common, "--output", dir.resolve("other.csv").toString(), "--seed", "12"));
        assertThat(Files.readAllBytes(dir.resolve("b.csv.gz"))).isEqualTo(Files.readAllBytes(dir.resolve("a.csv.gz")));
        byte[] one = text(dir.resolve("a.csv.gz"));
        String[] lines = new String(one, StandardCharsets.UTF_8).split("\n");
        assertThat(lines).hasSize(20001);
        assertThat(lines[0]).isEqualTo("userId,movieId,rating,timestamp");
        assertThat(new String(text(dir.resolve("other.csv")), StandardCharsets.UTF_8)).isNotEqualTo(
                new String(one, StandardCharsets.UTF_8));

        ByteArrayOutputStream joined = new ByteArrayOutputStream();
        joined.write((lines[0] + "\n").getBytes(StandardCharsets.UTF_8));
        for (int p = 0; p < 3; p++) {
            String part = new String(text(dir.resolve("parts").resolve("part-0000" + p + ".csv.gz")),
                    StandardCharsets.UTF_8);
            assertThat(part).startsWith(lines[0] + "\n");
            String rows = part.substring(lines[0].length() + 1);
            // Balanced: about a third of the rows each (a user is never split).
            assertThat(rows.split("\n").length).isBetween(5000, 8500);
            joined.write(rows.getBytes(StandardCharsets.UTF_8));
        }
        assertThat(joined.toByteArray()).isEqualTo(one);
        // Rows are grouped by user and time-ordered within one.
        long previousUser = 0;
        long previousTime = Long.MIN_VALUE;
        for (int r = 1; r < lines.length; r++) {
            String[] cells = lines[r].split(",");
            long user = Long.parseLong(cells[0]);
            long time = Long.parseLong(cells[3]);
            assertThat(user).isGreaterThanOrEqualTo(previousUser);
            if (user == previousUser) {
                assertThat(time).as("line %d", r + 1).isGreaterThanOrEqualTo(previousTime);
            }
            previousUser = user;
            previousTime = time;
        }
        assertThat(previousUser).isEqualTo(700);
    }

    /** Without clusters the items' shares follow Zipf: the top 1% hold the share the law gives them. */
    @Test
    void itemPopularityIsZipf(@TempDir Path dir) throws Exception {
        for (double s : new double[] {0.8, 1.2}) {
            Path file = dir.resolve("zipf-" + s + ".csv");
            generate("--output", file.toString(), "--interactions", "100000", "--users", "2000", "--items", "2000",
                    "--zipf", Double.toString(s), "--columns", "user,item,time");
            Map<String, Integer> counts = new HashMap<>();
            String[] lines = new String(Files.readAllBytes(file), StandardCharsets.UTF_8).split("\n");
            assertThat(lines[0]).isEqualTo("user,item,time");
            for (int r = 1; r < lines.length; r++) {
                counts.merge(lines[r].split(",")[1], 1, Integer::sum);
            }
            int[] sorted = counts.values().stream().mapToInt(Integer::intValue).sorted().toArray();
            long top = 0;
            for (int i = 0; i < 20; i++) {
                top += sorted[sorted.length - 1 - i];
            }
            double expected = 0;
            double all = 0;
            for (int r = 1; r <= 2000; r++) {
                all += Math.pow(r, -s);
                expected += r <= 20 ? Math.pow(r, -s) : 0;
            }
            // Binomial sd of the top share at 10^5 rows is under 0.002.
            assertThat(top / 100000.0).as("zipf %s", s).isCloseTo(expected / all, within(0.01));
            assertThat(expected / all).isGreaterThan(s > 1 ? 0.6 : 0.15);
            // The head is not the lowest ids: ids are a permutation of the popularity ranks.
            String mostPopular = counts.entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow().getKey();
            assertThat(mostPopular).isNotEqualTo("1");
        }
    }

    @Test
    void prepareReadsTheLogAndIsoTimesGiveTheRowsOfEpochTimes(@TempDir Path dir) throws Exception {
        String[] common = {"--interactions", "10000", "--users", "300", "--items", "400", "--clusters", "5",
                "--seed", "3"};
        generate(concat(common, "--output", dir.resolve("epoch.csv").toString()));
        generate(concat(common, "--output", dir.resolve("iso").toString(), "--files", "2", "--gzip",
                "--time-format", "iso"));
        assertThat(new String(text(dir.resolve("iso").resolve("part-00000.csv.gz")), StandardCharsets.UTF_8)
                .split("\n")[1]).matches("1,\\d+,\\d\\.\\d,20\\d\\d-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ");
        String epoch = PrepareJobITCase.prepare(dir.resolve("epoch.csv").toString(), dir.resolve("out-epoch").toString());
        JsonNode summary = new ObjectMapper().readTree(epoch);
        // Every user has at least one row: one validation row each, the rest are training rows.
        assertThat(summary.get("users").asInt()).isEqualTo(300);
        assertThat(summary.get("val_rows").asInt()).isEqualTo(300);
        assertThat(summary.get("train_rows").asInt()).isEqualTo(10000 - 300);
        assertThat(summary.get("items").asInt()).isBetween(300, 400);
        PrepareJob.Options options = PrepareJobITCase.options(dir.resolve("iso").toString(),
                dir.resolve("out-iso").toString());
        assertThat(PrepareJobITCase.prepare(options)).isEqualTo(epoch);
        int items = summary.get("items").asInt();
        assertThat(PrepareJobITCase.rowsDigest(dir.resolve("out-iso"), 300, items))
                .isEqualTo(PrepareJobITCase.rowsDigest(dir.resolve("out-epoch"), 300, items));
    }

    static String[] concat(String[] a, String... b) {
        String[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
