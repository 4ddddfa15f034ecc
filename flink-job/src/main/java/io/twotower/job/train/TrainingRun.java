package io.twotower.job.train;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import static io.twotower.job.trainer.StateStreams.readBytes;
import static io.twotower.job.trainer.StateStreams.readText;
import static io.twotower.job.trainer.StateStreams.writeBytes;
import static io.twotower.job.trainer.StateStreams.writeText;

/**
 * The bookkeeping of a {@code train} run beside the trainer itself: where it is (epoch, stopped, finished),
 * the running figures of the current epoch, the per-epoch figures for the results file, the last decision sent
 * to the source and the snapshot count (the last snapshot is the best model). Checkpointed with the trainer, so a restored run
 * reports as if it had never stopped.
 */
final class TrainingRun {
    /** 0-based epoch whose examples are arriving now. */
    int currentEpoch;
    boolean stopped;
    boolean finished;
    long examplesThisEpoch;
    double lossSumThisEpoch;
    int batchesThisEpoch;
    double trainSecondsThisEpoch;
    long totalExamples;
    final List<Long> examplesPerEpoch = new ArrayList<>();
    final List<Double> examplesPerSecond = new ArrayList<>();
    /** The last epoch decided (-1 before the first) and whether training goes on after it. */
    int lastDecisionEpoch = -1;
    boolean lastDecisionContinue;
    long snapshotSequence;
    /** The optimizer step each restore resumed from: evidence in the results that recovery did not start over. */
    final List<Long> restoredAtSteps = new ArrayList<>();
    /** Per evaluated epoch, the full metrics both ways as a JSON object (kept for the results file). */
    final List<String> epochMetrics = new ArrayList<>();

    /** Records the finished epoch's example count and speed for the results file. */
    void recordEpoch(double examplesPerSecondThisEpoch) {
        examplesPerEpoch.add(examplesThisEpoch);
        examplesPerSecond.add(examplesPerSecondThisEpoch);
    }

    /** Moves on to the next epoch, its running figures at zero. */
    void startNextEpoch() {
        currentEpoch++;
        examplesThisEpoch = 0;
        lossSumThisEpoch = 0;
        batchesThisEpoch = 0;
        trainSecondsThisEpoch = 0;
    }

    void write(DataOutputStream out) throws IOException {
        out.writeInt(currentEpoch);
        out.writeBoolean(stopped);
        out.writeBoolean(finished);
        out.writeLong(examplesThisEpoch);
        out.writeDouble(lossSumThisEpoch);
        out.writeInt(batchesThisEpoch);
        out.writeDouble(trainSecondsThisEpoch);
        out.writeLong(totalExamples);
        out.writeInt(examplesPerEpoch.size());
        for (int i = 0; i < examplesPerEpoch.size(); i++) {
            out.writeLong(examplesPerEpoch.get(i));
            out.writeDouble(examplesPerSecond.get(i));
        }
        out.writeInt(lastDecisionEpoch);
        out.writeBoolean(lastDecisionContinue);
        out.writeLong(snapshotSequence);
        out.writeInt(restoredAtSteps.size());
        for (long step : restoredAtSteps) {
            out.writeLong(step);
        }
        out.writeInt(epochMetrics.size());
        for (String m : epochMetrics) {
            writeText(out, m);
        }
        // Formerly the best model's weights: the best model is its snapshot (the last one published), not a
        // second copy of every weight in memory and in every checkpoint. The field stays, empty, so the layout
        // does not change.
        writeBytes(out, null);
    }

    static TrainingRun read(DataInputStream in) throws IOException {
        TrainingRun run = new TrainingRun();
        run.currentEpoch = in.readInt();
        run.stopped = in.readBoolean();
        run.finished = in.readBoolean();
        run.examplesThisEpoch = in.readLong();
        run.lossSumThisEpoch = in.readDouble();
        run.batchesThisEpoch = in.readInt();
        run.trainSecondsThisEpoch = in.readDouble();
        run.totalExamples = in.readLong();
        int epochs = in.readInt();
        for (int i = 0; i < epochs; i++) {
            run.examplesPerEpoch.add(in.readLong());
            run.examplesPerSecond.add(in.readDouble());
        }
        run.lastDecisionEpoch = in.readInt();
        run.lastDecisionContinue = in.readBoolean();
        run.snapshotSequence = in.readLong();
        int restores = in.readInt();
        for (int i = 0; i < restores; i++) {
            run.restoredAtSteps.add(in.readLong());
        }
        int evaluated = in.readInt();
        for (int i = 0; i < evaluated; i++) {
            run.epochMetrics.add(readText(in));
        }
        readBytes(in); // the best weights an older version kept here; its best snapshot holds the same
        return run;
    }
}
