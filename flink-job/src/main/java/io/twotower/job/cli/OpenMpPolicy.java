package io.twotower.job.cli;

import com.sun.jna.Library;
import com.sun.jna.Native;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sets {@code OMP_WAIT_POLICY=PASSIVE} in this process's environment before libtorch loads, unless the user
 * set a policy. libgomp's default lets idle OpenMP threads spin, and on a shared or busy machine the spinning
 * threads starve the training thread (BENCHMARKS.md: 6-11x slower beside one busy process). libgomp reads the
 * variable once, when libtorch first loads it, so the bin/ scripts and images export it; this makes a plain
 * {@code java -jar} behave the same.
 */
public final class OpenMpPolicy {
    private static final Logger LOG = LoggerFactory.getLogger(OpenMpPolicy.class);
    static final String VARIABLE = "OMP_WAIT_POLICY";

    private OpenMpPolicy() {}

    /** libc's setenv, through JNA (which DJL already brings). */
    interface CLibrary extends Library {
        int setenv(String name, String value, int overwrite);

        String getenv(String name);
    }

    /** Sets the passive policy unless one is set; returns the policy in effect (null if it could not be read). */
    public static String preferPassive() {
        try {
            CLibrary libc = Native.load("c", CLibrary.class);
            if (libc.getenv(VARIABLE) == null) {
                libc.setenv(VARIABLE, "PASSIVE", 0);
            }
            return libc.getenv(VARIABLE);
        } catch (Throwable e) {
            // Not a reason to stop: the job only runs slower on a busy machine.
            LOG.warn("Could not set {}=PASSIVE ({}); export it before starting java", VARIABLE, e.toString());
            return null;
        }
    }
}
