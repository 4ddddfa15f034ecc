package io.twotower.job;

import org.junit.platform.launcher.LauncherSession;
import org.junit.platform.launcher.LauncherSessionListener;

/**
 * Initialises Hadoop's S3A file system class once, before any test runs a job. Its static initialiser reloads
 * every Hadoop Configuration of the JVM; one that Parquet's static codec cache took from an earlier job's
 * (by then closed) class loader then fails the next Parquet read with "Trying to access closed classloader".
 * All test classes share one JVM, so the first S3 test would otherwise break the ones after it.
 */
public class HadoopStaticsFirst implements LauncherSessionListener {
    @Override
    public void launcherSessionOpened(LauncherSession session) {
        try {
            Class.forName("org.apache.hadoop.fs.s3a.S3AFileSystem", true, HadoopStaticsFirst.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException("flink-s3-fs-hadoop is missing from the test classpath", e);
        }
    }
}
