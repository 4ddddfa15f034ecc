package io.twotower.job;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * An interaction log with planted structure: users and items fall into clusters, and each user
 * interacts only with items of their own cluster. A retriever that learns the clusters beats popularity.
 */
final class SyntheticInteractions {
    private SyntheticInteractions() {}

    static Path writeCsv(Path file, int users, int items, int clusters, int perUser, long seed) throws IOException {
        Random rng = new Random(seed);
        List<String> lines = new ArrayList<>();
        lines.add("userId,movieId,rating,timestamp");
        int itemsPerCluster = items / clusters;
        for (int u = 0; u < users; u++) {
            int cluster = u % clusters;
            for (int t = 0; t < perUser; t++) {
                int item = cluster * itemsPerCluster + rng.nextInt(itemsPerCluster);
                // Raw ids are not dense and not 0-based, as in real logs.
                lines.add((1000 + u) + "," + (5 + item * 3) + ",4.0," + (1_600_000_000L + t * 60L + rng.nextInt(30)));
            }
        }
        Files.write(file, lines);
        return file;
    }
}
