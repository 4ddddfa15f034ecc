import io.twotower.common.SplitMix64;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.zip.GZIPOutputStream;

/**
 * A synthetic interaction log for benchmarks, streamed to CSV (plain or gzip, one file or N parts), in the columns
 * {@code prepare} reads. Run from the job jar's classpath as a source file (bench/generate-interactions.sh does):
 * {@code java -cp twotower-job.jar GenerateInteractions.java --output log.csv.gz --interactions 10000000}.
 *
 * <p>The model, each part drawn from a seeded {@link SplitMix64} per user, so the output is a function of the options
 * alone (same seed, same bytes, whatever {@code --threads}; the parts concatenated are the one-file output):
 * <ul>
 *   <li>item popularity: Zipf, P(rank r) proportional to (r+1)^-s ({@code --zipf s}), drawn by an alias table;
 *       raw item ids are 1 + (rank x a + b) mod items (a coprime with items), so id order says nothing about
 *       popularity;</li>
 *   <li>users' activity: lognormal weights ({@code --user-sigma}), scaled so the row count is exactly
 *       {@code --interactions}, at least {@code --min-per-user} each;</li>
 *   <li>sessions: a geometric number of interactions per session ({@code --session-mean}), exponential gaps of
 *       {@code --within-gap} seconds on average inside one, lognormal gaps around {@code --session-gap} seconds
 *       (the median) between sessions; each user starts at a uniform time in {@code --days} days after
 *       {@code --start};</li>
 *   <li>planted clusters ({@code --clusters C}): each user belongs to one of C clusters and draws a fraction
 *       {@code --cluster-affinity} of its items from its cluster's items (every C-th popularity rank, with the same
 *       Zipf law), the rest from the whole catalog: co-occurrence a retriever can learn.</li>
 * </ul>
 * Rows are grouped by user (users in id order) and time-ordered within a user. Floating point goes through
 * {@link StrictMath}, so the bytes do not depend on the JVM or the CPU. Memory grows with the items (alias tables,
 * counts), never with the rows.
 */
public final class GenerateInteractions {
    private static final int BUFFER_BYTES = 1 << 20;

    /** MovieLens-like rating shares for 0.5, 1.0, ... 5.0. */
    private static final double[] RATING_WEIGHTS = {1.4, 2.8, 1.8, 7.5, 5.5, 19.9, 13.0, 26.6, 8.5, 13.1};
    private static final byte[][] RATINGS = new byte[RATING_WEIGHTS.length][];
    /** Rating index by the low 10 bits of a draw. */
    private static final byte[] RATING_TABLE = new byte[1024];

    static {
        double total = Arrays.stream(RATING_WEIGHTS).sum();
        double cumulative = 0;
        int slot = 0;
        for (int r = 0; r < RATING_WEIGHTS.length; r++) {
            RATINGS[r] = String.format(Locale.ROOT, "%.1f", 0.5 * (r + 1)).getBytes(StandardCharsets.US_ASCII);
            cumulative += RATING_WEIGHTS[r];
            int end = r == RATING_WEIGHTS.length - 1 ? 1024 : (int) Math.round(cumulative / total * 1024);
            for (; slot < end; slot++) {
                RATING_TABLE[slot] = (byte) r;
            }
        }
    }

    final Options o;
    final AliasTable global;
    /** The cluster tables by size: clusters hold floor(items/C) or ceil(items/C) ranks. */
    final Map<Integer, AliasTable> clusterTables = new LinkedHashMap<>();
    final long itemMultiplier;
    final long itemShift;
    final double totalWeight;

    GenerateInteractions(Options o) {
        this.o = o;
        this.global = new AliasTable(zipfWeights(o.items, o.zipf));
        if (o.clusters > 0) {
            for (int c : new int[] {0, o.clusters - 1}) {
                clusterTables.computeIfAbsent(clusterSize(c), n -> new AliasTable(zipfWeights(n, o.zipf)));
            }
        }
        this.itemMultiplier = coprimeNear(o.items, 0.6180339887498949);
        this.itemShift = (long) (o.items * 0.381966);
        double c = 0;
        for (int u = 0; u < o.users; u++) {
            c += activityWeight(new SplitMix64(SplitMix64.mix(o.seed, u)));
        }
        this.totalWeight = c;
    }

    public static void main(String[] args) throws Exception {
        Options o;
        try {
            o = Options.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("error: " + e.getMessage());
            System.err.println(Options.USAGE);
            System.exit(2);
            return;
        }
        long start = System.nanoTime();
        GenerateInteractions g = new GenerateInteractions(o);
        List<Part> parts = g.parts();
        long[] counts = new long[o.items];
        int threads = Math.max(1, Math.min(o.threads, parts.size()));
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<int[]>> done = new ArrayList<>();
            for (Part p : parts) {
                done.add(pool.submit(() -> g.write(p)));
            }
            for (Future<int[]> f : done) {
                int[] c = f.get();
                for (int i = 0; i < c.length; i++) {
                    counts[i] += c[i];
                }
            }
        } finally {
            pool.shutdown();
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        long bytes = 0;
        for (Part p : parts) {
            bytes += Files.size(p.file);
        }
        long[] sorted = counts.clone();
        Arrays.sort(sorted);
        int top = Math.max(1, o.items / 100);
        long topRows = 0;
        for (int i = 0; i < top; i++) {
            topRows += sorted[sorted.length - 1 - i];
        }
        System.out.printf(Locale.ROOT, "wrote %d rows, %d users, %d items, %d file(s), %d bytes to %s in %.1f s"
                        + " (%.0f rows/s, %d thread(s)); top 1%% of items (%d) hold %.1f%% of the rows%s%n",
                o.interactions, o.users, o.items, parts.size(), bytes, o.output, seconds, o.interactions / seconds,
                threads, top, 100.0 * topRows / o.interactions,
                o.clusters == 0 ? String.format(Locale.ROOT, " (Zipf %.2f expects %.1f%%)", o.zipf,
                        100 * zipfTopShare(o.items, o.zipf, top)) : "");
    }

    /** The share of the {@code top} most popular of {@code n} items under Zipf exponent {@code s}. */
    static double zipfTopShare(int n, double s, int top) {
        double[] w = zipfWeights(n, s);
        double head = 0;
        double all = 0;
        for (int i = 0; i < n; i++) {
            all += w[i];
            head += i < top ? w[i] : 0;
        }
        return head / all;
    }

    static double[] zipfWeights(int n, double s) {
        double[] w = new double[n];
        for (int r = 0; r < n; r++) {
            w[r] = StrictMath.pow(r + 1, -s);
        }
        return w;
    }

    int clusterSize(int c) {
        return (o.items - c + o.clusters - 1) / o.clusters;
    }

    /** The first value at or above n*fraction coprime with n: rank to raw id by multiplication is then a bijection. */
    static long coprimeNear(long n, double fraction) {
        long a = Math.max(1, (long) (n * fraction));
        while (gcd(a, n) != 1) {
            a++;
        }
        return a;
    }

    static long gcd(long a, long b) {
        return b == 0 ? a : gcd(b, a % b);
    }

    /** The first draws of a user's generator: its activity weight (lognormal). */
    double activityWeight(SplitMix64 rng) {
        return StrictMath.exp(o.userSigma * gaussian(rng));
    }

    static double gaussian(SplitMix64 rng) {
        double u1 = rng.nextDouble();
        double u2 = rng.nextDouble();
        return StrictMath.sqrt(-2 * StrictMath.log(1 - u1)) * StrictMath.cos(2 * StrictMath.PI * u2);
    }

    /** One output file: users [firstUser, endUser), the activity weight summed over the users before it. */
    record Part(Path file, int firstUser, int endUser, double weightBefore) {}

    /** Splits the users into parts of about interactions/files rows each (a user is never split). */
    List<Part> parts() throws IOException {
        List<Part> parts = new ArrayList<>();
        long spare = o.interactions - (long) o.minPerUser * o.users;
        double c = 0;
        long rowsBefore = 0;
        int first = 0;
        double weightAtFirst = 0;
        for (int u = 0; u < o.users; u++) {
            double next = c + activityWeight(new SplitMix64(SplitMix64.mix(o.seed, u)));
            long rows = o.minPerUser + (long) Math.floor(spare * (next / totalWeight))
                    - (long) Math.floor(spare * (c / totalWeight));
            c = next;
            rowsBefore += rows;
            boolean full = rowsBefore >= (parts.size() + 1) * (double) o.interactions / o.files;
            if ((full && parts.size() < o.files - 1) || u == o.users - 1) {
                parts.add(new Part(partFile(parts.size()), first, u + 1, weightAtFirst));
                first = u + 1;
                weightAtFirst = c;
            }
        }
        if (o.files > 1) {
            Files.createDirectories(o.output);
        } else if (o.output.getParent() != null) {
            Files.createDirectories(o.output.getParent());
        }
        return parts;
    }

    Path partFile(int index) {
        if (o.files == 1) {
            return o.output;
        }
        return o.output.resolve(String.format(Locale.ROOT, "part-%05d.csv%s", index, o.gzip ? ".gz" : ""));
    }

    /** Writes one part; returns its rows per item rank. */
    int[] write(Part part) throws IOException {
        int[] counts = new int[o.items];
        long spare = o.interactions - (long) o.minPerUser * o.users;
        Rows rows = new Rows();
        try (OutputStream out = open(part.file)) {
            rows.text(String.join(",", o.columns) + "\n");
            double c = part.weightBefore;
            for (int u = part.firstUser; u < part.endUser; u++) {
                SplitMix64 rng = new SplitMix64(SplitMix64.mix(o.seed, u));
                double next = c + activityWeight(rng);
                long n = o.minPerUser + (long) Math.floor(spare * (next / totalWeight))
                        - (long) Math.floor(spare * (c / totalWeight));
                c = next;
                if (n > 0) {
                    user(u, n, rng, rows, counts);
                }
                if (rows.pos > BUFFER_BYTES - 256 * 1024) {
                    rows.flush(out);
                }
            }
            rows.flush(out);
        }
        return counts;
    }

    /** A user's {@code n} rows in time order, session by session. */
    void user(int u, long n, SplitMix64 rng, Rows rows, int[] counts) {
        int cluster = o.clusters > 0 ? rng.nextInt(o.clusters) : -1;
        AliasTable own = cluster >= 0 ? clusterTables.get(clusterSize(cluster)) : null;
        long affinity = (long) (o.clusterAffinity * 0x1p32);
        long t = o.start + (long) (rng.nextDouble() * o.days * 86400.0);
        double sessionStop = 1.0 / o.sessionMean;
        double sessionGapLog = StrictMath.log(o.sessionGap);
        long userId = u + 1L;
        for (long i = 0; i < n; i++) {
            if (i > 0) {
                if (rng.nextDouble() < sessionStop) {
                    t += (long) StrictMath.exp(sessionGapLog + o.sessionGapSigma * gaussian(rng));
                } else {
                    t += (long) (-o.withinGap * StrictMath.log(1 - rng.nextDouble()));
                }
            }
            int rank;
            if (own != null && (rng.nextLong() >>> 32) < affinity) {
                rank = own.draw(rng.nextLong()) * o.clusters + cluster;
            } else {
                rank = global.draw(rng.nextLong());
            }
            counts[rank]++;
            rows.number(userId).comma().number(1 + (rank * itemMultiplier + itemShift) % o.items).comma();
            if (o.columns.size() == 4) {
                rows.bytes(RATINGS[RATING_TABLE[(int) (rng.nextLong() >>> 54)]]).comma();
            }
            switch (o.timeFormat) {
                case "iso":
                    rows.iso(t);
                    break;
                case "epoch-ms":
                    rows.number(t * 1000);
                    break;
                default:
                    rows.number(t);
            }
            rows.newline();
        }
    }

    OutputStream open(Path file) throws IOException {
        OutputStream out = Files.newOutputStream(file);
        boolean gzip = o.files == 1 ? o.gzip || file.toString().endsWith(".gz") : o.gzip;
        if (!gzip) {
            return new BufferedOutputStream(out, BUFFER_BYTES);
        }
        int level = o.gzipLevel;
        return new GZIPOutputStream(out, BUFFER_BYTES) {
            {
                def.setLevel(level);
            }
        };
    }

    /** Vose's alias table over {@code weights}: one 64-bit draw picks a column (high bits) and a side (low bits). */
    static final class AliasTable {
        final int[] threshold;
        final int[] alias;

        AliasTable(double[] weights) {
            int n = weights.length;
            threshold = new int[n];
            alias = new int[n];
            double total = 0;
            for (double w : weights) {
                total += w;
            }
            double[] scaled = new double[n];
            int[] small = new int[n];
            int[] large = new int[n];
            int ns = 0;
            int nl = 0;
            for (int i = 0; i < n; i++) {
                scaled[i] = weights[i] * n / total;
                if (scaled[i] < 1) {
                    small[ns++] = i;
                } else {
                    large[nl++] = i;
                }
            }
            while (ns > 0 && nl > 0) {
                int s = small[--ns];
                int l = large[nl - 1];
                threshold[s] = (int) (long) (scaled[s] * 0x1p32);
                alias[s] = l;
                scaled[l] = scaled[l] + scaled[s] - 1;
                if (scaled[l] < 1) {
                    nl--;
                    small[ns++] = l;
                }
            }
            // What is left is full up to rounding: it is its own alias, so either side picks it.
            while (nl > 0) {
                int l = large[--nl];
                alias[l] = l;
            }
            while (ns > 0) {
                int s = small[--ns];
                alias[s] = s;
            }
        }

        int draw(long x) {
            int i = (int) (((x >>> 32) * threshold.length) >>> 32);
            return (x & 0xFFFFFFFFL) < (threshold[i] & 0xFFFFFFFFL) ? i : alias[i];
        }
    }

    /** Rows formatted straight into one byte buffer (no per-row objects). */
    static final class Rows {
        final byte[] buf = new byte[BUFFER_BYTES];
        int pos;

        Rows text(String s) {
            return bytes(s.getBytes(StandardCharsets.UTF_8));
        }

        Rows bytes(byte[] b) {
            System.arraycopy(b, 0, buf, pos, b.length);
            pos += b.length;
            return this;
        }

        Rows comma() {
            buf[pos++] = ',';
            return this;
        }

        void newline() {
            buf[pos++] = '\n';
        }

        Rows number(long v) {
            if (v < 0) {
                buf[pos++] = '-';
                v = -v;
            }
            int digits = 1;
            for (long p = 10; p <= v && digits < 19; p *= 10) {
                digits++;
            }
            for (int i = pos + digits - 1; i >= pos; i--) {
                buf[i] = (byte) ('0' + v % 10);
                v /= 10;
            }
            pos += digits;
            return this;
        }

        private void two(long v) {
            buf[pos++] = (byte) ('0' + v / 10);
            buf[pos++] = (byte) ('0' + v % 10);
        }

        /** {@code yyyy-MM-ddTHH:mm:ssZ} of epoch seconds (years 0..9999; civil-from-days of H. Hinnant). */
        void iso(long epochSeconds) {
            long days = Math.floorDiv(epochSeconds, 86400);
            long secs = Math.floorMod(epochSeconds, 86400);
            long z = days + 719468;
            long era = Math.floorDiv(z, 146097);
            long doe = z - era * 146097;
            long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
            long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
            long mp = (5 * doy + 2) / 153;
            long day = doy - (153 * mp + 2) / 5 + 1;
            long month = mp < 10 ? mp + 3 : mp - 9;
            long year = yoe + era * 400 + (month <= 2 ? 1 : 0);
            two(year / 100);
            two(year % 100);
            buf[pos++] = '-';
            two(month);
            buf[pos++] = '-';
            two(day);
            buf[pos++] = 'T';
            two(secs / 3600);
            buf[pos++] = ':';
            two(secs / 60 % 60);
            buf[pos++] = ':';
            two(secs % 60);
            buf[pos++] = 'Z';
        }

        void flush(OutputStream out) throws IOException {
            out.write(buf, 0, pos);
            pos = 0;
        }
    }

    /** The command line. */
    static final class Options {
        static final String USAGE = String.join("\n",
                "usage: java -cp twotower-job.jar GenerateInteractions.java --output <file.csv[.gz] | folder>",
                "  [--interactions 1000000] [--users 100000] [--items 20000] [--seed 42] [--zipf 1.0]",
                "  [--clusters 0] [--cluster-affinity 0.8] [--user-sigma 1.0] [--min-per-user 1]",
                "  [--session-mean 6] [--within-gap 60] [--session-gap 86400] [--session-gap-sigma 1.5]",
                "  [--start 1577836800] [--days 365] [--time-format epoch|epoch-ms|iso]",
                "  [--columns userId,movieId,rating,timestamp] [--files 1] [--gzip] [--gzip-level 1] [--threads N]");

        Path output;
        long interactions = 1_000_000;
        int users = 100_000;
        int items = 20_000;
        long seed = 42;
        double zipf = 1.0;
        int clusters = 0;
        double clusterAffinity = 0.8;
        double userSigma = 1.0;
        int minPerUser = 1;
        double sessionMean = 6;
        double withinGap = 60;
        double sessionGap = 86400;
        double sessionGapSigma = 1.5;
        long start = 1_577_836_800L;
        double days = 365;
        String timeFormat = "epoch";
        List<String> columns = List.of("userId", "movieId", "rating", "timestamp");
        int files = 1;
        boolean gzip;
        int gzipLevel = 1;
        int threads = Runtime.getRuntime().availableProcessors();

        static Options parse(String[] args) {
            Options o = new Options();
            for (int i = 0; i < args.length; i++) {
                String key = args[i];
                if (key.equals("--gzip")) {
                    o.gzip = true;
                    continue;
                }
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException(key + " needs a value");
                }
                String v = args[++i];
                try {
                    switch (key) {
                        case "--output" -> o.output = Path.of(v);
                        case "--interactions" -> o.interactions = Long.parseLong(v);
                        case "--users" -> o.users = Integer.parseInt(v);
                        case "--items" -> o.items = Integer.parseInt(v);
                        case "--seed" -> o.seed = Long.parseLong(v);
                        case "--zipf" -> o.zipf = Double.parseDouble(v);
                        case "--clusters" -> o.clusters = Integer.parseInt(v);
                        case "--cluster-affinity" -> o.clusterAffinity = Double.parseDouble(v);
                        case "--user-sigma" -> o.userSigma = Double.parseDouble(v);
                        case "--min-per-user" -> o.minPerUser = Integer.parseInt(v);
                        case "--session-mean" -> o.sessionMean = Double.parseDouble(v);
                        case "--within-gap" -> o.withinGap = Double.parseDouble(v);
                        case "--session-gap" -> o.sessionGap = Double.parseDouble(v);
                        case "--session-gap-sigma" -> o.sessionGapSigma = Double.parseDouble(v);
                        case "--start" -> o.start = Long.parseLong(v);
                        case "--days" -> o.days = Double.parseDouble(v);
                        case "--time-format" -> o.timeFormat = v;
                        case "--columns" -> o.columns = List.of(v.split(","));
                        case "--files" -> o.files = Integer.parseInt(v);
                        case "--gzip-level" -> o.gzipLevel = Integer.parseInt(v);
                        case "--threads" -> o.threads = Integer.parseInt(v);
                        default -> throw new IllegalArgumentException("unknown option " + key);
                    }
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException(key + ": not a number: " + v);
                }
            }
            o.check();
            return o;
        }

        void check() {
            require(output != null, "--output is required");
            require(users > 0 && items > 0, "--users and --items must be > 0");
            require(minPerUser >= 0, "--min-per-user must be >= 0");
            require(interactions >= (long) minPerUser * users, "--interactions must be at least --min-per-user x --users ("
                    + (long) minPerUser * users + ")");
            require(zipf >= 0, "--zipf must be >= 0");
            require(clusters >= 0 && clusters <= items, "--clusters must be in [0, --items]");
            require(clusterAffinity >= 0 && clusterAffinity <= 1, "--cluster-affinity must be in [0, 1]");
            require(sessionMean >= 1, "--session-mean must be >= 1");
            require(withinGap >= 0 && sessionGap >= 1 && sessionGapSigma >= 0 && days >= 0 && userSigma >= 0,
                    "gaps, --days and --user-sigma must be >= 0 (--session-gap >= 1)");
            require(List.of("epoch", "epoch-ms", "iso").contains(timeFormat),
                    "--time-format must be epoch, epoch-ms or iso");
            require(columns.size() == 3 || columns.size() == 4,
                    "--columns must name user,item,time or user,item,rating,time");
            require(files >= 1 && files <= users, "--files must be in [1, --users]");
            require(gzipLevel >= 0 && gzipLevel <= 9, "--gzip-level must be in [0, 9]");
            require(threads >= 1, "--threads must be >= 1");
        }

        private static void require(boolean ok, String message) {
            if (!ok) {
                throw new IllegalArgumentException(message);
            }
        }
    }
}
