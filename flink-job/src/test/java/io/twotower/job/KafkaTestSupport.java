package io.twotower.job;

import io.twotower.connectors.kafka.KafkaTopics;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.UUID;

/** The real broker that bin/run-tests starts (bin/kafka-broker), found through TWOTOWER_KAFKA_BOOTSTRAP. */
final class KafkaTestSupport {
    private KafkaTestSupport() {}

    static String bootstrap() {
        String servers = System.getenv("TWOTOWER_KAFKA_BOOTSTRAP");
        if (servers == null || servers.isBlank()) {
            throw new IllegalStateException("TWOTOWER_KAFKA_BOOTSTRAP is not set: these tests need the real Kafka broker;"
                    + " run bin/run-tests, or bin/kafka-broker start and export TWOTOWER_KAFKA_BOOTSTRAP=127.0.0.1:19092");
        }
        return servers;
    }

    static String newTopic(String prefix) throws Exception {
        String topic = prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
        Properties props = new Properties();
        props.setProperty("bootstrap.servers", bootstrap());
        KafkaTopics.ensure(props, topic, 2);
        return topic;
    }

    static void send(String topic, List<String> values) throws Exception {
        // Round-robin, so that every partition has data and event time advances in all of them.
        send(topic, values, (i, partitions) -> i % partitions);
    }

    /** Sends value i to partition {@code partitioner(i, partitions)}. */
    static void send(String topic, List<String> values,
            java.util.function.BiFunction<Integer, Integer, Integer> partitioner) throws Exception {
        Properties props = new Properties();
        props.setProperty(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
        props.setProperty(ProducerConfig.ACKS_CONFIG, "all");
        try (KafkaProducer<byte[], byte[]> producer =
                new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
            List<java.util.concurrent.Future<?>> futures = new ArrayList<>();
            int partitions = producer.partitionsFor(topic).size();
            for (int i = 0; i < values.size(); i++) {
                futures.add(producer.send(new ProducerRecord<>(topic, partitioner.apply(i, partitions), null,
                        values.get(i).getBytes(StandardCharsets.UTF_8))));
            }
            for (java.util.concurrent.Future<?> f : futures) {
                f.get();
            }
        }
    }

    /** The offsets {@code group} has committed on {@code topic}, summed over partitions. */
    static long committed(String group, String topic) throws Exception {
        Properties props = new Properties();
        props.setProperty("bootstrap.servers", bootstrap());
        try (org.apache.kafka.clients.admin.Admin admin = org.apache.kafka.clients.admin.Admin.create(props)) {
            long sum = 0;
            for (var e : admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get().entrySet()) {
                if (e.getKey().topic().equals(topic) && e.getValue() != null) {
                    sum += e.getValue().offset();
                }
            }
            return sum;
        }
    }

    /** Reads everything in {@code topic} (waiting up to 30 s for at least {@code expected} records). */
    static List<String> readAll(String topic, int expected) {
        Properties props = new Properties();
        props.setProperty(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
        props.setProperty(ConsumerConfig.GROUP_ID_CONFIG, "reader-" + UUID.randomUUID());
        props.setProperty(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        List<String> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer =
                new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(topic));
            long deadline = System.currentTimeMillis() + 30_000;
            while (System.currentTimeMillis() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    out.add(new String(r.value(), StandardCharsets.UTF_8));
                }
                if (out.size() >= expected) {
                    // One more poll, so that records beyond the expected count would be seen too.
                    for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(1000))) {
                        out.add(new String(r.value(), StandardCharsets.UTF_8));
                    }
                    break;
                }
            }
        }
        return out;
    }
}
