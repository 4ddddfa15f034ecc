package io.twotower.job.cli;

import org.apache.flink.runtime.JobException;
import org.apache.flink.runtime.client.JobExecutionException;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.UndeclaredThrowableException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/** Finds, in the exception of a failed command or job, the error a user must act on. */
public final class CliErrors {
    private CliErrors() {}

    /**
     * The first exception in {@code error}'s cause chain that is not a wrapper. A job's failure reaches the
     * client wrapped by Flink ("Job execution failed", "Recovery is suppressed by ...", "Failed to fetch next
     * result", a source's "One or more fetchers have encountered exception") and by futures; the task's own
     * exception below names the file, row and column. The chain stops there and not at its deepest cause: our
     * messages already include the lower-level cause's text ("x.parquet: not a readable Parquet file: ...").
     */
    public static Throwable rootCause(Throwable error) {
        Throwable t = error;
        while (t.getCause() != null && t.getCause() != t && isWrapper(t)) {
            t = t.getCause();
        }
        return t;
    }

    /** The one-line message of {@link #rootCause}: its message, or its type when it has none. */
    public static String message(Throwable error) {
        Throwable root = rootCause(error);
        String message = root.getMessage();
        String text = message == null || message.isBlank() ? root.toString() : message;
        // one line: a multi-line message (a YAML parser's, say) keeps its first line here, the rest is in the log
        int newline = text.indexOf('\n');
        return newline < 0 ? text : text.substring(0, newline).strip();
    }

    private static boolean isWrapper(Throwable t) {
        if (t instanceof JobExecutionException || t instanceof JobException
                || t instanceof ExecutionException || t instanceof CompletionException
                || t instanceof InvocationTargetException || t instanceof UndeclaredThrowableException) {
            return true;
        }
        String message = t.getMessage();
        if (message == null || message.isBlank() || message.equals(t.getCause().toString())) {
            return true;
        }
        // Made by Flink around a cause (the job's or the client's plumbing), not by the code that found the problem.
        StackTraceElement[] trace = t.getStackTrace();
        return trace.length > 0 && trace[0].getClassName().startsWith("org.apache.flink.");
    }
}
