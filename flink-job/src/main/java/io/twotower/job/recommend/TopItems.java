package io.twotower.job.recommend;

import io.twotower.connectors.snapshot.NpyReader;
import org.apache.flink.core.fs.Path;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;

/**
 * The K items of the highest cosine score for a user vector, in one pass over {@code item_embeddings.npy}
 * holding one row and a K-element heap: the catalog is never materialised. The rows are L2-normalised, so the
 * dot product is the cosine; it is summed in double. Equal scores rank the lower index first, as numpy's
 * stable {@code argsort(-scores)}.
 */
public final class TopItems {
    /** An item's dense index and score. */
    public static final class Scored {
        public final int index;
        public final double score;

        Scored(int index, double score) {
            this.index = index;
            this.score = score;
        }
    }

    /** Best first: higher score, then lower index. */
    static final Comparator<Scored> BEST_FIRST =
            Comparator.comparingDouble((Scored s) -> -s.score).thenComparingInt(s -> s.index);

    private TopItems() {}

    /** The best {@code k} items for {@code user} among those not in {@code excluded}, best first. */
    public static List<Scored> best(Path itemEmbeddings, int rows, float[] user, int k, BitSet excluded)
            throws IOException {
        try (InputStream in = UserVectors.openBuffered(itemEmbeddings)) {
            NpyReader items = NpyReader.open(in, itemEmbeddings.toString()).requireShape(rows, user.length);
            TopK top = new TopK(k);
            float[] row = new float[user.length];
            for (int i = 0; i < rows; i++) {
                items.readRow(row);
                if (!excluded.get(i)) {
                    top.offer(i, dot(user, row));
                }
            }
            return top.best();
        }
    }

    static double dot(float[] a, float[] b) {
        double sum = 0;
        for (int c = 0; c < a.length; c++) {
            sum += (double) a[c] * b[c];
        }
        return sum;
    }

    /** A bounded heap whose head is the worst of the best K offered so far. */
    static final class TopK {
        private final int k;
        private final PriorityQueue<Scored> heap;

        TopK(int k) {
            this.k = k;
            this.heap = new PriorityQueue<>(k + 1, BEST_FIRST.reversed());
        }

        void offer(int index, double score) {
            if (heap.size() < k) {
                heap.add(new Scored(index, score));
                return;
            }
            Scored worst = heap.peek();
            if (score > worst.score || (score == worst.score && index < worst.index)) {
                heap.poll();
                heap.add(new Scored(index, score));
            }
        }

        List<Scored> best() {
            List<Scored> out = new ArrayList<>(heap);
            out.sort(BEST_FIRST);
            return out;
        }
    }
}
