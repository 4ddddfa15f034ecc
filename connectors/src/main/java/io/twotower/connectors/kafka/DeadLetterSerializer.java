package io.twotower.connectors.kafka;

import org.apache.flink.api.common.serialization.SerializationSchema;

/** A dead letter as the JSON value of a dead-letter topic record. */
public final class DeadLetterSerializer implements SerializationSchema<DeadLetter> {
    private static final long serialVersionUID = 1L;

    @Override
    public byte[] serialize(DeadLetter letter) {
        return EventFormat.encode(letter);
    }
}
