package io.twotower.job.recommend;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.twotower.connectors.snapshot.NpyFormat;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.function.UnaryOperator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * The plain-Java sequence tower reproduces PyTorch's user vectors (sequence_golden.json, eval mode) from a
 * user_tower.npz published as a snapshot, reading only the last history_length items; and names the file and
 * array or manifest field when one is missing or misshaped.
 */
class SequenceUserTowerTest {
    static SequenceGoldenSnapshot golden;

    @BeforeAll
    static void readGolden() throws IOException {
        golden = SequenceGoldenSnapshot.read();
    }

    @Test
    void reproducesPyTorchsUserVectorsOfLongAndShortHistories(@TempDir Path dir) throws Exception {
        RecommendSnapshot snapshot = open(dir, false, UnaryOperator.identity(), UnaryOperator.identity());
        int[][] histories = golden.histories();
        float[][] expected = golden.userVectors();
        assertThat(histories[0]).hasSize(golden.length);
        assertThat(histories[1].length).isLessThan(golden.length);
        assertThat(histories[2]).hasSize(1);
        for (int r = 0; r < histories.length; r++) {
            float[] vector = SequenceUserTower.load(snapshot, histories[r]).userVector(histories[r]);
            assertClose(vector, expected[r], "history " + Arrays.toString(histories[r]));
            // The dispatch recommend uses picks the sequence tower from the manifest's kind.
            assertClose(UserVectors.ofHistory(snapshot, histories[r]), expected[r], "ofHistory");
        }
    }

    @Test
    void onlyTheLastHistoryLengthItemsCount(@TempDir Path dir) throws Exception {
        RecommendSnapshot snapshot = open(dir, false, UnaryOperator.identity(), UnaryOperator.identity());
        int[] last = golden.histories()[0];
        int[] longer = new int[last.length + 3];
        longer[0] = 11;
        longer[1] = 0;
        longer[2] = 8;
        System.arraycopy(last, 0, longer, 3, last.length);
        // The tower loads only the rows of the last items, so it is loaded for the long history itself.
        assertClose(SequenceUserTower.load(snapshot, longer).userVector(longer), golden.userVectors()[0], "longer");

        // A shorter history puts its latest item at the last position, not at the slot after its length.
        int[] prefix = Arrays.copyOf(last, 3);
        float[] shorter = SequenceUserTower.load(snapshot, prefix).userVector(prefix);
        assertThat(maxDifference(shorter, golden.userVectors()[0])).isGreaterThan(1e-2);
    }

    @Test
    void normalizeUserVectorDividesByTheL2Norm(@TempDir Path dir) throws Exception {
        RecommendSnapshot snapshot = open(dir, true, UnaryOperator.identity(), UnaryOperator.identity());
        int[] history = golden.histories()[1];
        float[] expected = golden.userVectors()[1].clone();
        double norm = 0;
        for (float v : expected) {
            norm += (double) v * v;
        }
        for (int c = 0; c < expected.length; c++) {
            expected[c] = (float) (expected[c] / Math.sqrt(norm));
        }
        assertClose(SequenceUserTower.load(snapshot, history).userVector(history), expected, "normalised");
    }

    @Test
    void anEmptyHistoryIsTheZeroVector(@TempDir Path dir) throws Exception {
        RecommendSnapshot snapshot = open(dir, true, UnaryOperator.identity(), UnaryOperator.identity());
        assertThat(SequenceUserTower.load(snapshot, new int[0]).userVector(new int[0]))
                .containsOnly(0f).hasSize(golden.dimension);
    }

    @Test
    void missingOrMisshapedArraysAreNamedWithTheirFile(@TempDir Path dir) throws Exception {
        int[] history = golden.histories()[0];
        RecommendSnapshot missing = open(dir.resolve("missing"), false, arrays -> {
            arrays.remove("block1_ffn_out_bias");
            return arrays;
        }, UnaryOperator.identity());
        assertThatThrownBy(() -> SequenceUserTower.load(missing, history))
                .hasMessage(missing.file("user_tower.npz") + ": has no array 'block1_ffn_out_bias' (the manifest's"
                        + " user_tower has 2 blocks)");

        RecommendSnapshot misshaped = open(dir.resolve("misshaped"), false, arrays -> {
            arrays.put("position_embedding", NpyFormat.encode(new float[4 * golden.dimension], 4, golden.dimension));
            return arrays;
        }, UnaryOperator.identity());
        assertThatThrownBy(() -> SequenceUserTower.load(misshaped, history))
                .hasMessage(misshaped.file("user_tower.npz") + "[position_embedding]: shape [4, 8], expected [5, 8]");

        RecommendSnapshot transposed = open(dir.resolve("transposed"), false, arrays -> {
            arrays.put("block0_attn_in_weight", NpyFormat.encode(new float[24 * 8], 8, 24));
            return arrays;
        }, UnaryOperator.identity());
        assertThatThrownBy(() -> SequenceUserTower.load(transposed, history))
                .hasMessageEndingWith("user_tower.npz[block0_attn_in_weight]: shape [8, 24], expected [24, 8]");

        // More blocks in the manifest than in the file.
        RecommendSnapshot moreBlocks = open(dir.resolve("blocks"), false, UnaryOperator.identity(),
                spec -> spec.put("blocks", 3));
        assertThatThrownBy(() -> SequenceUserTower.load(moreBlocks, history))
                .hasMessageEndingWith("user_tower.npz: has no array 'block2_attn_norm_weight' (the manifest's"
                        + " user_tower has 3 blocks)");
    }

    @Test
    void badManifestSettingsNameTheField(@TempDir Path dir) throws Exception {
        int[] history = golden.histories()[0];
        RecommendSnapshot heads = open(dir.resolve("heads"), false, UnaryOperator.identity(),
                spec -> spec.put("heads", 3));
        assertThatThrownBy(() -> SequenceUserTower.load(heads, history))
                .hasMessage(heads.file("manifest.json") + ": user_tower.heads 3 does not divide the dimension 8");
        RecommendSnapshot scale = open(dir.resolve("scale"), false, UnaryOperator.identity(),
                spec -> spec.put("input_scale", "sqrt(d)"));
        assertThatThrownBy(() -> SequenceUserTower.load(scale, history))
                .hasMessageEndingWith("manifest.json: user_tower.input_scale must be a number, got \"sqrt(d)\"");
        RecommendSnapshot length = open(dir.resolve("length"), false, UnaryOperator.identity(),
                spec -> {
                    spec.remove("history_length");
                    return spec;
                });
        assertThatThrownBy(() -> SequenceUserTower.load(length, history))
                .hasMessageEndingWith("manifest.json: user_tower.history_length must be a positive integer, got null");
        RecommendSnapshot kind = open(dir.resolve("kind"), false, UnaryOperator.identity(),
                spec -> spec.put("kind", "transformer"));
        assertThatThrownBy(() -> UserVectors.ofHistory(kind, history))
                .hasMessage(kind.file("manifest.json") + ": user_tower.kind 'transformer' is not a tower this reader"
                        + " knows (history, sequence)");
    }

    /** Publishes the golden snapshot under dir, its tower's arrays and manifest settings altered, and opens it. */
    private static RecommendSnapshot open(Path dir, boolean normalize, UnaryOperator<Map<String, byte[]>> arrays,
            UnaryOperator<ObjectNode> spec) throws IOException {
        Path folder = golden.publish(dir, normalize, golden.userVectors(), arrays, spec);
        return RecommendSnapshot.open(new org.apache.flink.core.fs.Path(folder.toString()), 1);
    }

    static void assertClose(float[] actual, float[] expected, String what) {
        assertThat(actual).as(what).hasSameSizeAs(expected);
        for (int c = 0; c < expected.length; c++) {
            assertThat((double) actual[c]).as("%s [%d]", what, c).isCloseTo(expected[c], within(1e-5));
        }
    }

    private static double maxDifference(float[] a, float[] b) {
        double max = 0;
        for (int c = 0; c < a.length; c++) {
            max = Math.max(max, Math.abs(a[c] - b[c]));
        }
        return max;
    }
}
