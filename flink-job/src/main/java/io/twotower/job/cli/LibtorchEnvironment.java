package io.twotower.job.cli;

import com.sun.jna.Library;
import com.sun.jna.Native;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Sets the environment libtorch should run with in this process before libtorch loads, unless the user set a
 * variable. The bin/ scripts, the images and conf/flink/config.yaml set the same for TaskManagers; this makes a plain
 * {@code java -jar} behave the same.
 * <ul>
 *   <li>{@code OMP_WAIT_POLICY=PASSIVE}: libgomp's default lets idle OpenMP threads spin, and on a shared or busy
 *       machine the spinning threads starve the training thread (BENCHMARKS.md: 6-11x slower beside one busy
 *       process). libgomp reads it once, when libtorch first loads it.</li>
 *   <li>{@code THP_MEM_ALLOC_ENABLE=1}: libtorch's CPU allocator aligns tensors of 2 MiB and more to 2 MiB and asks
 *       for transparent huge pages (madvise), so the random row gathers and updates of a large embedding table miss
 *       the TLB far less (BENCHMARKS.md: a 1M x 256 row-wise step 1.14x faster). libtorch reads it at its first
 *       allocation; a kernel with transparent huge pages off ignores it.</li>
 * </ul>
 */
public final class LibtorchEnvironment {
    private static final Logger LOG = LoggerFactory.getLogger(LibtorchEnvironment.class);
    static final String OMP_WAIT_POLICY = "OMP_WAIT_POLICY";
    static final String THP_MEM_ALLOC_ENABLE = "THP_MEM_ALLOC_ENABLE";
    static final Map<String, String> DEFAULTS = new LinkedHashMap<>();

    static {
        DEFAULTS.put(OMP_WAIT_POLICY, "PASSIVE");
        DEFAULTS.put(THP_MEM_ALLOC_ENABLE, "1");
    }

    private LibtorchEnvironment() {}

    /** libc's setenv, through JNA (which DJL already brings). */
    interface CLibrary extends Library {
        int setenv(String name, String value, int overwrite);

        String getenv(String name);
    }

    /**
     * Sets each default that is not set; returns the values in effect (a variable maps to null where the process
     * environment could not be read).
     */
    public static Map<String, String> applyDefaults() {
        Map<String, String> effective = new LinkedHashMap<>();
        try {
            CLibrary libc = Native.load("c", CLibrary.class);
            for (Map.Entry<String, String> e : DEFAULTS.entrySet()) {
                if (libc.getenv(e.getKey()) == null) {
                    libc.setenv(e.getKey(), e.getValue(), 0);
                }
                effective.put(e.getKey(), libc.getenv(e.getKey()));
            }
        } catch (Throwable e) {
            // Not a reason to stop: the job only runs slower.
            LOG.warn("Could not set {} ({}); export them before starting java", DEFAULTS, e.toString());
            DEFAULTS.keySet().forEach(k -> effective.put(k, null));
        }
        return effective;
    }
}
