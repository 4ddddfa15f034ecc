package io.twotower.job.trainer;

import java.util.Locale;

/**
 * Progress inside a long epoch or window, for the log: at most one line per interval, with the count so far,
 * the rate since the meter was (re)started and, when the total is known, the share done and the time left.
 * An epoch over 10^8 rows takes hours; without this the log says nothing until it ends.
 *
 * <p>The rate is wall-clock (waiting for input included), so the estimate is of when the epoch will end,
 * not of the trainer's step speed. After a restore the meter restarts from the restored count, so the rate
 * only counts what this process did. Times are passed in (nanoTime) to keep it testable.
 */
public final class ProgressMeter {
    /** A progress line about every 10 s. */
    public static final long DEFAULT_INTERVAL_NANOS = 10_000_000_000L;

    private final long intervalNanos;
    private final String unit;
    private long startNanos;
    private long startCount;
    private long lastLineNanos;

    /** {@code unit}: what is counted, plural ("examples", "events"). */
    public ProgressMeter(long intervalNanos, String unit) {
        this.intervalNanos = intervalNanos;
        this.unit = unit;
    }

    /** Starts measuring at {@code now} with {@code count} done (0 at an epoch's start, more after a restore). */
    public void restart(long now, long count) {
        startNanos = now;
        startCount = count;
        lastLineNanos = now;
    }

    /**
     * The progress text to log now ({@code "40960 of 100226 examples (41%), 2050 examples/s, ETA 0:29"}), or null
     * while the last line is younger than the interval. {@code total} <= 0 means unknown: no share, no ETA.
     */
    public String line(long now, long count, long total) {
        if (now - lastLineNanos < intervalNanos) {
            return null;
        }
        lastLineNanos = now;
        double seconds = (now - startNanos) / 1e9;
        double rate = seconds > 0 ? (count - startCount) / seconds : 0;
        StringBuilder line = new StringBuilder();
        line.append(count);
        if (total > 0) {
            line.append(" of ").append(total);
        }
        line.append(' ').append(unit);
        if (total > 0) {
            line.append(String.format(Locale.ROOT, " (%d%%)", Math.min(100, count * 100 / total)));
        }
        line.append(String.format(Locale.ROOT, ", %.0f %s/s", rate, unit));
        if (total > 0) {
            line.append(", ETA ").append(rate > 0 ? duration(Math.max(0, total - count) / rate) : "unknown");
        }
        return line.toString();
    }

    /** h:mm:ss, or m:ss under an hour. */
    static String duration(double seconds) {
        long s = Math.round(seconds);
        long h = s / 3600;
        long m = (s % 3600) / 60;
        long sec = s % 60;
        return h > 0 ? String.format(Locale.ROOT, "%d:%02d:%02d", h, m, sec) : String.format(Locale.ROOT, "%d:%02d", m, sec);
    }
}
