package io.twotower.job.online;

import io.twotower.connectors.kafka.DeadLetter;
import io.twotower.connectors.kafka.EventFormat;
import io.twotower.connectors.kafka.InteractionEvent;
import io.twotower.connectors.kafka.KafkaRecord;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

import java.nio.charset.StandardCharsets;

/**
 * Parses Kafka records into events. A streaming job must not stop for one bad record: it goes to the
 * dead-letter output with the reason and its topic-partition@offset, and is counted.
 */
public final class EventParserFunction extends ProcessFunction<KafkaRecord, InteractionEvent> {
    private static final long serialVersionUID = 1L;
    public static final OutputTag<DeadLetter> DEAD_LETTERS = new OutputTag<>("dead-letters") { };

    private final EventFormat format;
    private transient Counter deadLetters;

    public EventParserFunction(EventFormat format) {
        this.format = format;
    }

    @Override
    public void open(OpenContext openContext) {
        deadLetters = getRuntimeContext().getMetricGroup().counter("deadLetters");
    }

    @Override
    public void processElement(KafkaRecord record, Context ctx, Collector<InteractionEvent> out) {
        EventFormat.Parsed parsed = format.parse(record.value);
        if (parsed.event != null) {
            out.collect(parsed.event);
            return;
        }
        deadLetters.inc();
        String value = record.value == null ? null : new String(record.value, StandardCharsets.UTF_8);
        ctx.output(DEAD_LETTERS, new DeadLetter(parsed.error, value, record.position()));
    }
}
