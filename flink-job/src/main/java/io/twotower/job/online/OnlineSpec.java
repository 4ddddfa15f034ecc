package io.twotower.job.online;

import io.twotower.model.TwoTowerConfig;

import java.io.Serializable;

/** The online trainer's settings, fixed when the job is built. */
public final class OnlineSpec implements Serializable {
    private static final long serialVersionUID = 1L;

    public TwoTowerConfig config = TwoTowerConfig.defaults();
    public String outputDir;
    public String runId;
    /** A snapshot folder (or a run folder with LATEST) written by train or online; null for a cold start. */
    public String initFrom;
    public long windowMillis = 3_600_000L;
    /** How far behind the newest event an event may arrive and still count in its own window. */
    public long outOfOrdernessMillis = 5_000L;
    public int snapshotEveryWindows = 1;
    /** At least this much event time between the windows of two publications (0: no minimum). */
    public long snapshotMinIntervalMillis = 0;
    /** At least this many events trained between two publications (0: no minimum). */
    public long snapshotMinEvents = 0;
    /** Share of mini-batches ranked against the catalog before training (PrequentialShare); negative: auto. */
    public double rankShare = -1;
    public double regressionTolerance = 0.02;
    /** Windows that ranked fewer events are not judged for regressions (RegressionGuard). */
    public long regressionMinEvents = 100;
    /** Regressions in a row after which the level is taken as moved for good (RegressionGuard). */
    public int regressionPatience = 3;
    public int keepSnapshots = 5;
    public int maxHistory = 50;
    /** A user's history expires after this long without events (processing time; 0: never). */
    public long historyTtlMillis = 0;
    /** windows.jsonl holds at most this many windows; full ones roll into windows-NNNNNN.jsonl (WindowLog). */
    public int windowsPerFile = WindowLog.DEFAULT_LINES_PER_FILE;
    /** The embedding tables are checkpointed as keyed rows, each when it changed (resolved from --table-state). */
    public boolean keyedTables;
}
