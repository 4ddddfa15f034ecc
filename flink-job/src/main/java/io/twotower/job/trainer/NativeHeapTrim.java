package io.twotower.job.trainer;

import com.sun.jna.Library;
import com.sun.jna.Native;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Hands the memory that glibc's malloc keeps after libtorch frees it back to the operating system, at most once per
 * interval, from the trainer's own thread.
 *
 * <p>Why: libtorch allocates every tensor with malloc. Tensors of changing sizes (mini-batches, catalog-wide score
 * blocks, snapshot chunks) leave free holes in malloc's arenas that glibc returns to the OS only from an arena's top,
 * so a long-running trainer's RSS creeps up although nothing leaks: in the online soak (BENCHMARKS.md, issue 17) RSS
 * grew from 1.04 to 1.53 GB in 28 minutes with the Java heap, the JVM's own native memory and the open NDArrays flat,
 * and one {@code malloc_trim(0)} took it back to 0.91 GB. {@code malloc_trim} releases the free pages of every arena.
 * Off glibc (no {@code malloc_trim}) this does nothing.
 */
public final class NativeHeapTrim {
    private static final Logger LOG = LoggerFactory.getLogger(NativeHeapTrim.class);
    /** The trainers trim at most once a minute: a trim walks every arena (milliseconds for a gigabyte). */
    public static final long DEFAULT_INTERVAL_NANOS = 60_000_000_000L;

    /** libc's malloc_trim, through JNA (which DJL already brings). */
    interface CLibrary extends Library {
        int malloc_trim(long pad);
    }

    private static volatile CLibrary libc;
    private static volatile boolean unavailable;

    private final long intervalNanos;
    private long lastNanos;
    private boolean started;
    private long trims;

    public NativeHeapTrim(long intervalNanos) {
        this.intervalNanos = intervalNanos;
    }

    /** Trims if the interval has passed since the last trim (the first call only starts the clock). */
    public void maybeTrim(long nowNanos) {
        if (!started) {
            started = true;
            lastNanos = nowNanos;
            return;
        }
        if (nowNanos - lastNanos < intervalNanos) {
            return;
        }
        lastNanos = nowNanos;
        trimNow();
    }

    /** Trims now; returns whether malloc gave memory back. */
    public boolean trimNow() {
        CLibrary c = library();
        if (c == null) {
            return false;
        }
        long before = residentKb();
        boolean released = c.malloc_trim(0) == 1;
        trims++;
        if (LOG.isDebugEnabled()) {
            LOG.debug("malloc_trim #{}: RSS {} -> {} MB", trims, before / 1024, residentKb() / 1024);
        }
        return released;
    }

    /** How many trims ran. */
    public long trims() {
        return trims;
    }

    private static CLibrary library() {
        if (unavailable) {
            return null;
        }
        CLibrary c = libc;
        if (c == null) {
            try {
                c = Native.load("c", CLibrary.class);
                libc = c;
            } catch (Throwable e) {
                unavailable = true;
                LOG.info("No malloc_trim in this C library ({}): freed native memory stays with the allocator",
                        e.toString());
                return null;
            }
        }
        return c;
    }

    /** This process's resident set in KB (/proc/self/status VmRSS), or -1 where there is none. */
    public static long residentKb() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }
}
