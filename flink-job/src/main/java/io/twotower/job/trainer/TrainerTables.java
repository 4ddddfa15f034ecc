package io.twotower.job.trainer;

import io.twotower.model.ChangedRows;
import io.twotower.model.TrainerStateCodec;
import io.twotower.model.TwoTowerTrainer;

import org.apache.flink.runtime.state.StateInitializationContext;
import org.apache.flink.streaming.api.operators.KeyContext;

import java.io.DataOutputStream;
import java.io.IOException;

/**
 * Where a trainer operator checkpoints its embedding tables ({@link TableState}): whole in the raw operator state
 * with the rest of the trainer, or as keyed rows, each written when it changed ({@link KeyedTableRows}). Both
 * trainer operators hold one and call it at the same four points: a trainer restored, a trainer created, the raw
 * state written, the keyed rows written.
 */
public final class TrainerTables {
    /** The keyed rows, or null: the tables are in the raw state. */
    private final KeyedTableRows rows;
    private ChangedRows changed;

    private TrainerTables(KeyedTableRows rows) {
        this.rows = rows;
    }

    /** In {@code initializeState}: keyed rows when {@code keyed} (the operator's input is then keyed). */
    public static TrainerTables open(boolean keyed, StateInitializationContext context, KeyContext keys) {
        return new TrainerTables(keyed ? new KeyedTableRows(context.getKeyedStateStore(), keys) : null);
    }

    /** After the raw state restored {@code trainer} (null: it had none yet). */
    public void restored(TwoTowerTrainer trainer) throws Exception {
        changed = KeyedTableRows.restore(trainer, rows);
    }

    /** A new trainer (cold or warm start): with keyed rows, the next checkpoint writes every row. */
    public void created(TwoTowerTrainer trainer) {
        if (rows != null) {
            changed = trainer.trackChangedRows();
        }
    }

    /** The trainer into the raw state: whole, or without the tables when they are keyed rows. */
    public void writeTrainer(TwoTowerTrainer trainer, DataOutputStream out) throws IOException {
        if (rows == null) {
            TrainerStateCodec.write(trainer, out);
        } else {
            TrainerStateCodec.writeWithoutTables(trainer, out);
        }
    }

    /** What writes the changed rows at a checkpoint (null: nothing outside the raw state, or no trainer yet). */
    public TrainerCheckpoint.KeyedWriter rowWriter(TwoTowerTrainer trainer) {
        return rows == null || trainer == null ? null : () -> rows.saveChanged(trainer, changed);
    }

    /** {@code keyed} or {@code operator}, for logs and results. */
    public String layout() {
        return rows == null ? "operator" : "keyed";
    }
}
