package io.twotower.connectors.snapshot;

import org.apache.flink.core.fs.Path;

import java.io.IOException;
import java.nio.file.AccessDeniedException;

/**
 * File-system failures turned into messages that name the location and what to fix (a missing bucket, bad
 * credentials), whichever Flink file system raised them. Credentials themselves never appear.
 */
public final class StorageErrors {
    private StorageErrors() {}

    /** An IOException whose message is {@code "<what> <location>: <hint><cause's message>"}. */
    public static IOException describe(String what, Path location, IOException cause) {
        String message = String.valueOf(cause.getMessage());
        String hint = hint(location, cause);
        // Wrapped twice (a read inside a publication), the hint is said once.
        return new IOException(what + " " + location + ": " + (message.contains(hint) ? "" : hint) + message, cause);
    }

    /** A short explanation of the likely cause, ending in "; ", or "" when there is none to give. */
    static String hint(Path location, Throwable error) {
        String scheme = location.toUri().getScheme();
        boolean objectStore = scheme != null && SnapshotStore.isObjectStoreScheme(scheme);
        for (Throwable e = error; e != null; e = e.getCause() == e ? null : e.getCause()) {
            String message = String.valueOf(e.getMessage());
            // S3A raises UnknownStoreException (Hadoop is not a dependency here: match by name and S3 error code).
            if (e.getClass().getSimpleName().equals("UnknownStoreException") || message.contains("NoSuchBucket")) {
                return "the bucket does not exist; ";
            }
            if (e instanceof AccessDeniedException || message.contains("InvalidAccessKeyId")
                    || message.contains("SignatureDoesNotMatch") || message.contains("Status Code: 403")) {
                return objectStore
                        ? "access denied, check the credentials (s3.access-key and s3.secret-key in the Flink"
                                + " configuration, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY) and the bucket's"
                                + " permissions; "
                        : "permission denied; ";
            }
        }
        return "";
    }
}
