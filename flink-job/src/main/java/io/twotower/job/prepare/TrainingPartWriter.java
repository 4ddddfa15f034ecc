package io.twotower.job.prepare;

import io.twotower.connectors.dataset.DatasetLayout;
import io.twotower.connectors.dataset.UserSequenceFiles;
import org.apache.flink.core.fs.Path;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.BoundedOneInput;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;

/**
 * Writes the compact layout's part files in parallel: subtask s of n writes the parts p with p mod n = s (the
 * job routes each user to the subtask of its {@link UserSequenceFiles#partOf part}, sorted by user), each user's
 * training items in one row. Every part is written, empty or not, and reported as a {@link PrepareFact}.
 */
public final class TrainingPartWriter extends AbstractStreamOperator<PrepareFact>
        implements OneInputStreamOperator<UserSequence, PrepareFact>, BoundedOneInput {
    private static final long serialVersionUID = 1L;

    private final String outputDir;
    private final Holdout holdout;
    private final int parts;
    private transient UserSequenceFiles.Writer[] writers;

    public TrainingPartWriter(String outputDir, Holdout holdout, int parts) {
        this.outputDir = outputDir;
        this.holdout = holdout;
        this.parts = parts;
    }

    /** The subtask (of {@code subtasks}) that writes {@code part}: the job's partitioner routes users by it. */
    public static int subtaskOf(int part, int subtasks) {
        return part % subtasks;
    }

    @Override
    public void open() throws Exception {
        super.open();
        int subtask = getRuntimeContext().getTaskInfo().getIndexOfThisSubtask();
        int subtasks = getRuntimeContext().getTaskInfo().getNumberOfParallelSubtasks();
        Path folder = new DatasetLayout(new Path(outputDir)).userSequences();
        writers = new UserSequenceFiles.Writer[parts];
        for (int p = subtask; p < parts; p += subtasks) {
            writers[p] = new UserSequenceFiles.Writer(new Path(folder, UserSequenceFiles.partName(p)));
        }
    }

    @Override
    public void processElement(StreamRecord<UserSequence> element) throws Exception {
        UserSequence s = element.getValue();
        int end = holdout.trainEnd(s.items.length);
        if (end == 0) {
            return;
        }
        UserSequenceFiles.Writer writer = writers[UserSequenceFiles.partOf(s.user, parts)];
        if (writer == null) {
            throw new IllegalStateException("user " + s.user + " was routed to a subtask that does not write its part");
        }
        writer.add(s.user, s.items, 0, end);
    }

    @Override
    public void endInput() throws Exception {
        for (int p = 0; p < parts; p++) {
            if (writers[p] != null) {
                writers[p].close();
                LOG.info("Wrote training part {}: {} users, {} interactions", UserSequenceFiles.partName(p),
                        writers[p].users(), writers[p].interactions());
                output.collect(new StreamRecord<>(PrepareFact.part(p, writers[p].users(), writers[p].interactions())));
                writers[p] = null;
            }
        }
    }

    @Override
    public void close() throws Exception {
        if (writers != null) {
            for (UserSequenceFiles.Writer w : writers) {
                if (w != null) {
                    w.close();
                }
            }
        }
        super.close();
    }
}
