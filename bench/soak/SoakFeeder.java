import io.twotower.connectors.kafka.EventFormat;
import io.twotower.connectors.kafka.InteractionEvent;
import io.twotower.connectors.kafka.KafkaTopics;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Future;

/**
 * The soak benchmark's feeder (bench/run-soak.sh): publishes the bundled ratings log, looped, at a fixed rate for a
 * fixed time, each event stamped with the wall clock at send time (so event time moves as in a live system and one
 * loop's items are fresh events, not replays of old windows), with a corrupt record every --corrupt-every events
 * (three kinds in turn: not JSON, no item, a bad timestamp) for the dead-letter path. Every send is acknowledged
 * (acks=all, each future checked) before it is counted. Meanwhile, every 10 s, it records the consumer group's
 * committed offsets against the topic's end offsets (the lag) and the dead-letter topic's size in lag.tsv, until it
 * is stopped; feeder.json holds the totals once publishing is done.
 *
 * <p>Usage: SoakFeeder --input ratings.csv --bootstrap-servers H:P --topic T --group-id G --dead-letter-topic D
 * --rate EVENTS_PER_S --seconds S --corrupt-every N --partitions P [--limit N] --out DIR
 */
public final class SoakFeeder {
    private static final String[] CORRUPT = {
        "this is not json",
        "{\"user_id\": \"1\", \"timestamp\": %d}",
        "{\"user_id\": \"1\", \"item_id\": \"5\", \"timestamp\": \"yesterday\"}",
    };

    public static void main(String[] args) throws Exception {
        Map<String, String> a = new HashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            a.put(args[i].replaceFirst("^--", ""), args[i + 1]);
        }
        String bootstrap = a.get("bootstrap-servers");
        String topic = a.get("topic");
        double rate = Double.parseDouble(a.get("rate"));
        long seconds = Long.parseLong(a.get("seconds"));
        long corruptEvery = Long.parseLong(a.getOrDefault("corrupt-every", "0"));
        Path out = Path.of(a.get("out"));
        List<String[]> log = readLog(Path.of(a.get("input")));
        // --limit: loop the log's first N events only (a short run then sees its whole vocabulary early).
        log = log.subList(0, Math.min(log.size(), Integer.parseInt(a.getOrDefault("limit", "" + Integer.MAX_VALUE))));

        Properties props = new Properties();
        props.setProperty(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        KafkaTopics.ensure(props, topic, Integer.parseInt(a.getOrDefault("partitions", "1")));

        Thread sampler = new Thread(() -> sampleLag(bootstrap, topic, a.get("group-id"), a.get("dead-letter-topic"),
                out.resolve("lag.tsv")), "lag sampler");
        sampler.setDaemon(true);
        sampler.start();

        props.setProperty(ProducerConfig.ACKS_CONFIG, "all");
        props.setProperty(ProducerConfig.LINGER_MS_CONFIG, "5");
        EventFormat format = EventFormat.defaults();
        long good = 0;
        long corrupt = 0;
        long loops = 0;
        long start = System.nanoTime();
        long end = start + seconds * 1_000_000_000L;
        try (KafkaProducer<byte[], byte[]> producer =
                new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
            List<Future<?>> inFlight = new ArrayList<>();
            long sent = 0;
            int next = 0;
            while (System.nanoTime() < end) {
                long now = System.currentTimeMillis();
                byte[] key;
                byte[] value;
                if (corruptEvery > 0 && (sent + 1) % corruptEvery == 0) {
                    String text = String.format(Locale.ROOT, CORRUPT[(int) (corrupt % CORRUPT.length)], now);
                    key = "corrupt".getBytes(StandardCharsets.UTF_8);
                    value = text.getBytes(StandardCharsets.UTF_8);
                    corrupt++;
                } else {
                    String[] r = log.get(next);
                    next = (next + 1) % log.size();
                    if (next == 0) {
                        loops++;
                    }
                    key = r[0].getBytes(StandardCharsets.UTF_8);
                    value = format.encode(new InteractionEvent(r[0], r[1], now));
                    good++;
                }
                inFlight.add(producer.send(new ProducerRecord<>(topic, key, value)));
                sent++;
                long due = start + (long) (sent / rate * 1e9);
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                }
                if (inFlight.size() >= 1000) {
                    for (Future<?> f : inFlight) {
                        f.get();
                    }
                    inFlight.clear();
                }
            }
            for (Future<?> f : inFlight) {
                f.get();
            }
        }
        double took = (System.nanoTime() - start) / 1e9;
        String json = String.format(Locale.ROOT, "{\"published\": %d, \"good\": %d, \"corrupt\": %d, \"loops\": %d, "
                + "\"seconds\": %.1f, \"rate\": %.1f, \"target_rate\": %.1f}%n", good + corrupt, good, corrupt, loops,
                took, (good + corrupt) / took, rate);
        Files.writeString(out.resolve("feeder.json.tmp"), json);
        Files.move(out.resolve("feeder.json.tmp"), out.resolve("feeder.json"));
        System.out.print(json);
        // The sampler goes on recording the drain until the script stops this process.
        sampler.join();
    }

    /** userId, movieId of ratings.csv in time order (stable for equal times, as replay sorts). */
    static List<String[]> readLog(Path csv) throws IOException {
        List<String> lines = Files.readAllLines(csv);
        List<long[]> order = new ArrayList<>();
        List<String[]> rows = new ArrayList<>();
        for (String line : lines.subList(1, lines.size())) {
            String[] c = line.split(",");
            order.add(new long[] {Long.parseLong(c[3]), rows.size()});
            rows.add(new String[] {c[0], c[1]});
        }
        order.sort((x, y) -> Long.compare(x[0], y[0]));
        List<String[]> sorted = new ArrayList<>(rows.size());
        for (long[] o : order) {
            sorted.add(rows.get((int) o[1]));
        }
        return sorted;
    }

    /** Every 10 s: epoch seconds, end offsets, committed offsets, lag, dead-letter topic size (tab-separated). */
    static void sampleLag(String bootstrap, String topic, String group, String deadLetters, Path file) {
        Properties props = new Properties();
        props.setProperty(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        try (Admin admin = Admin.create(props);
                PrintWriter w = new PrintWriter(Files.newBufferedWriter(file, StandardCharsets.UTF_8))) {
            w.println("t\tend_offsets\tcommitted\tlag\tdead_letter_records");
            w.flush();
            while (true) {
                long t = System.currentTimeMillis();
                try {
                    long endSum = endOffsets(admin, topic);
                    long committed = 0;
                    for (Map.Entry<TopicPartition, OffsetAndMetadata> e : admin.listConsumerGroupOffsets(group)
                            .partitionsToOffsetAndMetadata().get().entrySet()) {
                        if (e.getKey().topic().equals(topic) && e.getValue() != null) {
                            committed += e.getValue().offset();
                        }
                    }
                    long dlq = admin.listTopics().names().get().contains(deadLetters) ? endOffsets(admin, deadLetters) : 0;
                    w.printf(Locale.ROOT, "%.3f\t%d\t%d\t%d\t%d%n", t / 1000.0, endSum, committed, endSum - committed, dlq);
                    w.flush();
                } catch (Exception e) {
                    System.err.println("lag sample failed: " + e);
                }
                Thread.sleep(Math.max(0, t + 10_000 - System.currentTimeMillis()));
            }
        } catch (Exception e) {
            System.err.println("lag sampler stopped: " + e);
        }
    }

    static long endOffsets(Admin admin, String topic) throws Exception {
        int partitions = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions().size();
        Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        for (int p = 0; p < partitions; p++) {
            latest.put(new TopicPartition(topic, p), OffsetSpec.latest());
        }
        long sum = 0;
        for (var info : admin.listOffsets(latest).all().get().values()) {
            sum += info.offset();
        }
        return sum;
    }
}
