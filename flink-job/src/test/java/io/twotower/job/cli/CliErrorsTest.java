package io.twotower.job.cli;

import org.apache.flink.runtime.JobException;
import org.apache.flink.runtime.client.JobExecutionException;
import org.apache.flink.api.common.JobID;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.concurrent.ExecutionException;

import static org.assertj.core.api.Assertions.assertThat;

class CliErrorsTest {
    /** An exception as if constructed in {@code className} (the top frame of its stack trace). */
    static <T extends Throwable> T madeIn(String className, T t) {
        t.setStackTrace(new StackTraceElement[] {new StackTraceElement(className, "run", "X.java", 1)});
        return t;
    }

    @Test
    void aFailedJobIsUnwrappedToTheTasksException() {
        IOException cause = new IOException("/data/nocol.csv: missing column 'timestamp'");
        Exception error = madeIn("org.apache.flink.streaming.api.operators.collect.CollectResultIterator",
                new RuntimeException("Failed to fetch next result",
                        madeIn("org.apache.flink.streaming.api.operators.collect.CollectResultFetcher",
                                new IOException("Failed to fetch job execution result",
                                        new ExecutionException(new JobExecutionException(new JobID(), "Job execution failed.",
                                                new JobException("Recovery is suppressed by NoRestartBackoffTimeStrategy", cause)))))));
        assertThat(CliErrors.rootCause(error)).isSameAs(cause);
        assertThat(CliErrors.message(error)).isEqualTo("/data/nocol.csv: missing column 'timestamp'");
    }

    @Test
    void aSourceReadersFetcherWrappersAreSkipped() {
        IOException cause = new IOException("/data/sequences_train.parquet: row 7, column 'user_idx': null value");
        Exception error = new JobExecutionException(new JobID(), "Job execution failed.",
                madeIn("org.apache.flink.connector.base.source.reader.fetcher.SplitFetcherManager",
                        new RuntimeException("One or more fetchers have encountered exception",
                                madeIn("org.apache.flink.connector.base.source.reader.fetcher.SplitFetcher",
                                        new RuntimeException("SplitFetcher thread 0 received unexpected exception", cause)))));
        assertThat(CliErrors.message(error)).isEqualTo(cause.getMessage());
    }

    @Test
    void ourOwnMessageWinsOverTheLowerLevelCauseItQuotes() {
        Exception error = madeIn("io.twotower.connectors.parquet.ParquetRows",
                new IOException("/data/x.parquet: not a readable Parquet file: magic number mismatch",
                        new RuntimeException("magic number mismatch")));
        assertThat(CliErrors.message(error)).isEqualTo("/data/x.parquet: not a readable Parquet file: magic number mismatch");
    }

    @Test
    void aCauseOnlyWrapperAndAMessagelessRootAreDescribed() {
        NullPointerException npe = new NullPointerException();
        assertThat(CliErrors.message(new RuntimeException(npe))).isEqualTo("java.lang.NullPointerException");
        assertThat(CliErrors.message(new IllegalStateException("first line\n  second line"))).isEqualTo("first line");
    }
}
