package io.twotower.job;

import io.twotower.job.cli.FlinkEnvironments;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

import java.net.URI;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.fail;

/**
 * The real S3-compatible server of the S3 ITCases: S3Proxy on loopback, started by {@code bin/run-tests}
 * (or {@code bin/s3-server start}), found through {@code TWOTOWER_S3_ENDPOINT}. Buckets are created with the
 * AWS SDK, because Flink's S3 file system cannot create them.
 */
final class S3TestServer {
    static final String ACCESS_KEY = System.getenv().getOrDefault("S3_ACCESS_KEY", "twotower");
    static final String SECRET_KEY = System.getenv().getOrDefault("S3_SECRET_KEY", "twotower-secret");

    private S3TestServer() {}

    /** The endpoint, failing (not skipping) the test when the server was not started. */
    static String endpoint() {
        String endpoint = System.getenv("TWOTOWER_S3_ENDPOINT");
        if (endpoint == null || endpoint.isBlank()) {
            fail("TWOTOWER_S3_ENDPOINT is not set: the S3 tests need the loopback S3 server. Run bin/run-tests, or"
                    + " `bin/s3-server start` and `export TWOTOWER_S3_ENDPOINT=http://127.0.0.1:19000`.");
        }
        return endpoint;
    }

    /** The Flink options that point Flink's S3 file system at the server, with the given secret key. */
    static Map<String, String> flinkOptions(String secretKey) {
        Map<String, String> options = new LinkedHashMap<>();
        options.put("s3.endpoint", endpoint());
        options.put("s3.path.style.access", "true");
        options.put("s3.access-key", ACCESS_KEY);
        options.put("s3.secret-key", secretKey);
        return options;
    }

    /** The same options as {@code -Dkey=value} arguments. */
    static List<String> flinkArgs(String secretKey) {
        return flinkOptions(secretKey).entrySet().stream()
                .map(e -> "-D" + e.getKey() + "=" + e.getValue()).collect(Collectors.toList());
    }

    /** Configures this JVM's Flink file systems (and so the MiniCluster's tasks) for the server. */
    static void useFromFlink() {
        FlinkEnvironments.initializeFileSystems(flinkOptions(SECRET_KEY));
    }

    static S3Client client() {
        return S3Client.builder()
                .endpointOverride(URI.create(endpoint()))
                .region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY, SECRET_KEY)))
                .forcePathStyle(true)
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                .httpClientBuilder(UrlConnectionHttpClient.builder())
                .build();
    }

    /** Creates a bucket of a name unique to this test run. */
    static String createBucket(String prefix) {
        String bucket = (prefix + "-" + UUID.randomUUID().toString().substring(0, 8)).toLowerCase(Locale.ROOT);
        try (S3Client s3 = client()) {
            s3.createBucket(b -> b.bucket(bucket));
        } catch (RuntimeException e) {
            throw new IllegalStateException("cannot create bucket " + bucket + " on " + endpoint()
                    + " (is bin/s3-server running?): " + e.getMessage(), e);
        }
        return bucket;
    }

    /** The keys under {@code prefix}, as the server lists them. */
    static List<String> keys(String bucket, String prefix) {
        try (S3Client s3 = client()) {
            return s3.listObjectsV2Paginator(b -> b.bucket(bucket).prefix(prefix)).contents().stream()
                    .map(S3Object::key).sorted().collect(Collectors.toList());
        }
    }

    /** A bucket name that does not exist on the server. */
    static String missingBucket() {
        return "missing-" + UUID.randomUUID().toString().substring(0, 8);
    }
}
