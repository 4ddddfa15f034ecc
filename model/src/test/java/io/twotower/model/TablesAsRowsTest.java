package io.twotower.model;

import ai.djl.ndarray.NDManager;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The tables saved as rows, each when it changed (what {@code --table-state keyed} checkpoints), plus the rest of
 * the trainer without them: restored, the trainer is bit-identical and trains on identically.
 */
class TablesAsRowsTest {
    private static final int USERS = 10;
    private static final int ITEMS = 30;
    private static final TwoTowerConfig CONFIG = TwoTowerConfig.defaults().withValues(Map.of(
            "d_model", 16, "dropout", 0.2, "accum_steps", 2, "k_neg", 4, "batch_size", 8, "lr", 0.01), "test");

    @Test
    void lazyAdamWTablesRestoreFromTheirChangedRows() throws Exception {
        roundTrip(CONFIG.withValues(Map.of("embedding_optimizer", "lazy_adamw"), "test"));
    }

    @Test
    void rowWiseAdagradTablesRestoreFromTheirChangedRows() throws Exception {
        roundTrip(CONFIG.withValues(Map.of("embedding_optimizer", "rowwise_adagrad", "embedding_lr", 0.05,
                "model", "history", "history_length", 3, "negatives", "mixed", "frequency_buckets", 64), "test"));
    }

    @Test
    void denseTablesAreNotSavedAsRows() throws Exception {
        try (NDManager root = NDManager.newBaseManager()) {
            TwoTowerTrainer dense = TwoTowerTrainer.create(CONFIG,
                    TwoTowerModel.initialise(root.newSubManager(), CONFIG, USERS, ITEMS));
            assertThatThrownBy(dense::trackChangedRows).hasMessageContaining("sparse embedding_optimizer");
            assertThatThrownBy(() -> TrainerStateCodec.writeWithoutTables(dense,
                    new DataOutputStream(new ByteArrayOutputStream()))).hasMessageContaining("sparse embedding_optimizer");
            dense.close();
        }
    }

    private static void roundTrip(TwoTowerConfig config) throws Exception {
        try (NDManager root = NDManager.newBaseManager()) {
            TwoTowerTrainer original = TwoTowerTrainer.create(config,
                    TwoTowerModel.initialise(root.newSubManager(), config, USERS, ITEMS));
            ChangedRows changed = original.trackChangedRows();
            assertThat(changed.count(0)).as("a new trainer's first save holds every user row").isEqualTo(USERS);
            assertThat(changed.count(1)).as("and every item row").isEqualTo(ITEMS);
            // The keyed state: (table, row) -> the row and its optimizer state.
            Map<Long, float[]> saved = new TreeMap<>();
            save(original, changed, saved);
            assertThat(saved).hasSize(USERS + ITEMS);

            TrainingBatch first = TrainerStateCodecTest.randomBatch(1, USERS, ITEMS);
            original.trainBatch(first);
            assertThat(changed.count(0) + changed.count(1)).as("no step yet: nothing changed").isZero();
            original.trainBatch(TrainerStateCodecTest.randomBatch(2, USERS, ITEMS));
            original.trainBatch(TrainerStateCodecTest.randomBatch(3, USERS, ITEMS)); // pending into the next step
            // Every row whose value or state moved is marked changed (so an incremental save misses nothing).
            Set<Long> moved = rowsDifferingFromTable(original, saved);
            assertThat(moved).isNotEmpty();
            Set<Long> marked = new HashSet<>();
            save(original, changed, saved, marked);
            assertThat(marked).containsAll(moved);
            assertThat(marked.size()).as("not every row: the batches touched a few items")
                    .isLessThan(USERS + ITEMS);
            assertThat(rowsDifferingFromTable(original, saved)).isEmpty();

            ByteArrayOutputStream rest = new ByteArrayOutputStream();
            try (DataOutputStream out = new DataOutputStream(rest)) {
                TrainerStateCodec.writeWithoutTables(original, out);
            }
            byte[] whole = TrainerStateCodec.encode(original);
            assertThat(rest.size()).as("the state without tables is smaller").isLessThan(whole.length);

            TwoTowerTrainer restored;
            try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(rest.toByteArray()))) {
                restored = TrainerStateCodec.read(in, root.newSubManager(), config);
            }
            assertThat(restored.awaitsSavedRows()).isTrue();
            load(restored, saved);
            restored.savedRowsLoaded();
            assertThat(TrainerStateCodec.encode(restored)).as("bit-identical to the original").isEqualTo(whole);

            for (long seed = 4; seed < 8; seed++) {
                float a = original.trainBatch(TrainerStateCodecTest.randomBatch(seed, USERS, ITEMS));
                float b = restored.trainBatch(TrainerStateCodecTest.randomBatch(seed, USERS, ITEMS));
                assertThat(b).isEqualTo(a);
            }
            assertThat(TrainerStateCodec.encode(restored)).isEqualTo(TrainerStateCodec.encode(original));
            original.close();
            restored.close();
        }
    }

    private static void save(TwoTowerTrainer trainer, ChangedRows changed, Map<Long, float[]> saved) {
        save(trainer, changed, saved, new HashSet<>());
    }

    private static void save(TwoTowerTrainer trainer, ChangedRows changed, Map<Long, float[]> saved, Set<Long> keys) {
        int width = trainer.savedRowWidth();
        for (int t = 0; t < 2; t++) {
            long[] rows = changed.take(t);
            // Two calls, so a save spans several gathers.
            int mid = rows.length / 2;
            float[] a = trainer.savedRows(t, rows, 0, mid);
            float[] b = trainer.savedRows(t, rows, mid, rows.length);
            for (int i = 0; i < rows.length; i++) {
                float[] src = i < mid ? a : b;
                int at = (i < mid ? i : i - mid) * width;
                long key = (long) t << 40 | rows[i];
                saved.put(key, Arrays.copyOfRange(src, at, at + width));
                keys.add(key);
            }
        }
        assertThat(changed.count(0) + changed.count(1)).as("a save forgets what it saved").isZero();
    }

    private static void load(TwoTowerTrainer trainer, Map<Long, float[]> saved) {
        int width = trainer.savedRowWidth();
        for (int t = 0; t < 2; t++) {
            int table = t;
            long[] rows = saved.keySet().stream().filter(k -> k >>> 40 == table).mapToLong(k -> k & ((1L << 40) - 1))
                    .toArray();
            float[] values = new float[rows.length * width];
            for (int i = 0; i < rows.length; i++) {
                System.arraycopy(saved.get((long) t << 40 | rows[i]), 0, values, i * width, width);
            }
            trainer.loadRows(t, rows, rows.length, values);
        }
    }

    private static Set<Long> rowsDifferingFromTable(TwoTowerTrainer trainer, Map<Long, float[]> saved) {
        Set<Long> differing = new HashSet<>();
        for (Map.Entry<Long, float[]> e : saved.entrySet()) {
            int t = (int) (e.getKey() >>> 40);
            long row = e.getKey() & ((1L << 40) - 1);
            if (!Arrays.equals(trainer.savedRows(t, new long[] {row}, 0, 1), e.getValue())) {
                differing.add(e.getKey());
            }
        }
        return differing;
    }
}
