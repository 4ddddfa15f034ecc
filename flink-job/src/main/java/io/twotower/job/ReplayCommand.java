package io.twotower.job;

import io.twotower.connectors.kafka.EventFormat;
import io.twotower.connectors.kafka.InteractionEvent;
import io.twotower.connectors.kafka.KafkaTopics;
import io.twotower.job.cli.CliArgs;
import io.twotower.job.prepare.Interaction;
import io.twotower.job.prepare.InteractionFileReader;
import org.apache.flink.api.common.functions.util.ListCollector;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Properties;
import java.util.Set;

/**
 * {@code replay}: publishes an interaction log to Kafka in time order as JSON events (keyed by user), at
 * an optional rate, for demos, tests and benchmarks.
 */
final class ReplayCommand {
    private ReplayCommand() {}

    static int run(CliArgs cli) throws Exception {
        cli.rejectUnknown(Set.of("input", "bootstrap-servers", "topic", "rate", "limit", "partitions", "user-column",
                "item-column", "time-column", "time-unit", "user-field", "item-field", "time-field", "kafka.*"), "replay");
        String input = cli.required("input");
        String topic = cli.required("topic");
        double rate = Double.parseDouble(cli.get("rate", "0"));
        int limit = cli.getInt("limit", Integer.MAX_VALUE);
        String unit = cli.get("time-unit", "s");
        long toMillis;
        switch (unit) {
            case "s":
                toMillis = 1000;
                break;
            case "ms":
                toMillis = 1;
                break;
            default:
                throw new IllegalArgumentException("--time-unit must be s or ms, got " + unit);
        }
        List<Interaction> log = new ArrayList<>();
        new InteractionFileReader(List.of(input), cli.get("user-column", "userId"), cli.get("item-column", "movieId"),
                cli.get("time-column", "timestamp")).flatMap(0, new ListCollector<>(log));
        // Stable: interactions with equal times keep the log's order.
        log.sort(Comparator.comparingLong(i -> i.timestamp));
        EventFormat format = new EventFormat(cli.get("user-field", "user_id"), cli.get("item-field", "item_id"),
                cli.get("time-field", "timestamp"));

        Properties props = new Properties();
        cli.withPrefix("kafka.").forEach(props::setProperty);
        props.setProperty(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, cli.required("bootstrap-servers"));
        KafkaTopics.ensure(props, topic, cli.getInt("partitions", 1));
        props.setProperty(ProducerConfig.ACKS_CONFIG, "all");
        props.setProperty(ProducerConfig.LINGER_MS_CONFIG, "5");
        int n = Math.min(limit, log.size());
        long start = System.nanoTime();
        try (KafkaProducer<byte[], byte[]> producer =
                new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
            List<java.util.concurrent.Future<?>> inFlight = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                Interaction it = log.get(i);
                InteractionEvent event = new InteractionEvent(it.user, it.item, it.timestamp * toMillis);
                inFlight.add(producer.send(new ProducerRecord<>(topic, it.user.getBytes(java.nio.charset.StandardCharsets.UTF_8),
                        format.encode(event))));
                if (rate > 0) {
                    long due = start + (long) ((i + 1) / rate * 1e9);
                    long wait = due - System.nanoTime();
                    if (wait > 0) {
                        Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                    }
                }
                if (inFlight.size() >= 10_000) {
                    for (java.util.concurrent.Future<?> f : inFlight) {
                        f.get();
                    }
                    inFlight.clear();
                }
            }
            for (java.util.concurrent.Future<?> f : inFlight) {
                f.get();
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("replayed %d events from %s to %s in %.1f s (%.0f events/s)%n", n, input, topic, seconds,
                n / seconds);
        return 0;
    }
}
