package io.twotower.connectors.kafka;

/** A Kafka record's value with where it came from, so a bad one can be reported exactly. */
public class KafkaRecord {
    public byte[] value;
    public String topic;
    public int partition;
    public long offset;

    public KafkaRecord() {}

    public KafkaRecord(byte[] value, String topic, int partition, long offset) {
        this.value = value;
        this.topic = topic;
        this.partition = partition;
        this.offset = offset;
    }

    public String position() {
        return topic + "-" + partition + "@" + offset;
    }
}
