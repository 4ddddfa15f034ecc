package io.twotower.job.recommend;

import org.apache.flink.core.fs.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ItemNamesTest {
    static final Path MOVIES = new Path(java.nio.file.Path.of("..", "data", "movielens-small", "movies.csv")
            .toAbsolutePath().toUri());

    @Test
    void readsTheBundledMoviesCsv() throws Exception {
        List<String> ids = IntStream.rangeClosed(1, 200_000).mapToObj(String::valueOf).collect(Collectors.toList());
        Map<String, String> titles = ItemNames.titlesOf(MOVIES, "title", ids);
        // Every movie of the file (Python's csv module counts 9742 rows), quoted titles with commas and quotes.
        assertThat(titles).hasSize(9742);
        assertThat(titles.get("5")).isEqualTo("Father of the Bride Part II (1995)");
        assertThat(titles.get("11")).isEqualTo("American President, The (1995)");
        assertThat(titles.get("7789")).isEqualTo("11'09\"01 - September 11 (2002)");
        assertThat(titles.get("193609")).isEqualTo("Andrew Dice Clay: Dice Rules (1991)");
        assertThat(ItemNames.titlesOf(MOVIES, "TITLE", List.of("11", "nope"))).containsOnlyKeys("11");
    }

    @Test
    void parsesRfc4180(@TempDir java.nio.file.Path dir) throws Exception {
        java.nio.file.Path file = Files.writeString(dir.resolve("names.csv"),
                "\uFEFFid,genre,name\r\n"
                        + "a,x,plain\r\n"
                        + "b,x,\"two\nlines, and \"\"quotes\"\"\"\n"
                        + "\n"
                        + "c,\"x,y\",\"\"\n"
                        + "d,x,last");
        Map<String, String> titles = ItemNames.titlesOf(new Path(file.toUri()), "name", List.of("a", "b", "c", "d"));
        assertThat(titles).containsExactlyInAnyOrderEntriesOf(Map.of("a", "plain", "b", "two\nlines, and \"quotes\"",
                "c", "", "d", "last"));
    }

    @Test
    void namesTheFileLineAndColumnOfWhatIsWrong(@TempDir java.nio.file.Path dir) throws Exception {
        java.nio.file.Path shortRow = Files.writeString(dir.resolve("short.csv"), "id,title\n1,a\n2\n");
        assertThatThrownBy(() -> ItemNames.titlesOf(new Path(shortRow.toUri()), "title", List.of("1")))
                .hasMessageEndingWith("short.csv: line 3: 1 fields, the title is field 2");
        java.nio.file.Path open = Files.writeString(dir.resolve("open.csv"), "id,title\n1,\"never closed\n");
        assertThatThrownBy(() -> ItemNames.titlesOf(new Path(open.toUri()), "title", List.of("1")))
                .hasMessageEndingWith("open.csv: line 2: a quoted field is not closed before the end of the file");
        assertThatThrownBy(() -> ItemNames.titlesOf(new Path(shortRow.toUri()), "name", List.of("1")))
                .hasMessageContaining("short.csv: no column 'name' in the header [id, title]");
        assertThatThrownBy(() -> ItemNames.titlesOf(new Path(dir.resolve("none.csv").toUri()), "title", List.of("1")))
                .hasMessageContaining("none.csv: file not found");
    }
}
