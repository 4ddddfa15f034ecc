package io.twotower.job.train;

import io.twotower.model.TwoTowerConfig;

import java.io.Serializable;

/** Everything the trainer operator needs to know, fixed when the job is built. */
public final class TrainingSpec implements Serializable {
    private static final long serialVersionUID = 1L;

    public final TwoTowerConfig config;
    public final String dataDir;
    public final String outputDir;
    public final String runId;
    public final int numUsers;
    public final int numItems;
    /** Training rows, so examples per epoch (for the progress lines' share and ETA). */
    public final long examplesPerEpoch;
    public final int keepSnapshots;
    /** The embedding tables are checkpointed as keyed rows, each when it changed (--table-state keyed). */
    public final boolean keyedTables;

    public TrainingSpec(TwoTowerConfig config, String dataDir, String outputDir, String runId, int numUsers,
            int numItems, long examplesPerEpoch, int keepSnapshots, boolean keyedTables) {
        this.config = config;
        this.dataDir = dataDir;
        this.outputDir = outputDir;
        this.runId = runId;
        this.numUsers = numUsers;
        this.numItems = numItems;
        this.examplesPerEpoch = examplesPerEpoch;
        this.keepSnapshots = keepSnapshots;
        this.keyedTables = keyedTables;
    }
}
