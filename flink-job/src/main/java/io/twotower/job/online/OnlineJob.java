package io.twotower.job.online;

import io.twotower.connectors.kafka.DeadLetter;
import io.twotower.connectors.kafka.DeadLetterSerializer;
import io.twotower.connectors.kafka.EventFormat;
import io.twotower.connectors.kafka.InteractionEvent;
import io.twotower.connectors.kafka.KafkaRecord;
import io.twotower.connectors.kafka.KafkaRecordDeserializer;
import io.twotower.job.train.TrainingJob;
import io.twotower.job.trainer.KeyedTableRows;
import io.twotower.job.trainer.TableState;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.KafkaSourceBuilder;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.streaming.api.datastream.ConnectedStreams;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;

import java.time.Duration;
import java.util.Properties;

/**
 * The {@code online} dataflow: Kafka events -> parse (bad records to the dead-letter topic) -> event-time
 * watermarks -> keyBy(user): history in keyed state -> the online trainer (parallelism 1, slot group
 * "trainer"), which also counts the dead letters.
 */
public final class OnlineJob {
    private OnlineJob() {}

    /** Options of {@code online}. */
    public static final class Options {
        public String bootstrapServers;
        public String topic;
        public String groupId = "twotower-online";
        public String deadLetterTopic;
        public boolean untilLatest;
        public Properties kafka = new Properties();
        public EventFormat format = EventFormat.defaults();
        /** A parser subtask without events this long stops holding back event time (e.g. an empty partition). */
        public Duration idleTimeout = Duration.ofMinutes(1);
        public OnlineSpec spec = new OnlineSpec();
        /** {@code --table-state}: auto, operator or keyed ({@link TableState}). */
        public String tableState = "auto";
    }

    public static DataStream<WindowReport> build(StreamExecutionEnvironment env, Options o) {
        KafkaSourceBuilder<KafkaRecord> builder = KafkaSource.<KafkaRecord>builder()
                .setBootstrapServers(o.bootstrapServers)
                .setTopics(o.topic)
                .setGroupId(o.groupId)
                .setProperties(o.kafka)
                .setStartingOffsets(OffsetsInitializer.committedOffsets(OffsetResetStrategy.EARLIEST))
                .setDeserializer(new KafkaRecordDeserializer());
        if (o.untilLatest) {
            // Stop at the offsets that are the latest when the job starts (backfills, tests, benchmarks).
            builder.setBounded(OffsetsInitializer.latest());
        }
        DataStream<KafkaRecord> records = env.fromSource(builder.build(), WatermarkStrategy.noWatermarks(), "kafka events");
        SingleOutputStreamOperator<InteractionEvent> events = records
                .process(new EventParserFunction(o.format)).name("parse events");
        DataStream<DeadLetter> deadLetters = events.getSideOutput(EventParserFunction.DEAD_LETTERS);
        deadLetters.sinkTo(KafkaSink.<DeadLetter>builder()
                        .setBootstrapServers(o.bootstrapServers)
                        .setKafkaProducerConfig(o.kafka)
                        .setRecordSerializer(KafkaRecordSerializationSchema.<DeadLetter>builder()
                                .setTopic(o.deadLetterTopic == null ? o.topic + ".dlq" : o.deadLetterTopic)
                                .setValueSerializationSchema(new DeadLetterSerializer())
                                .build())
                        .setDeliveryGuarantee(DeliveryGuarantee.AT_LEAST_ONCE)
                        .build())
                .name("dead-letter topic");
        DataStream<OnlineExample> examples = events
                .assignTimestampsAndWatermarks(WatermarkStrategy.<InteractionEvent>forBoundedOutOfOrderness(
                                Duration.ofMillis(o.spec.outOfOrdernessMillis))
                        .withTimestampAssigner((e, previous) -> e.timestamp)
                        .withIdleness(o.idleTimeout))
                .name("event time")
                .keyBy(e -> e.user)
                .process(new UserHistoryFunction(Math.max(o.spec.maxHistory, o.spec.config.historyLength()),
                        o.spec.historyTtlMillis)).name("user history");
        o.spec.keyedTables = TableState.resolve(o.tableState, o.spec.config, env.getConfiguration()) == TableState.KEYED;
        ConnectedStreams<OnlineExample, DeadLetter> inputs = o.spec.keyedTables
                // Keyed by one constant: the trainer gets a keyed state backend for the rows (KeyedTableRows).
                ? examples.connect(deadLetters).keyBy(KeyedTableRows.<OnlineExample>keySelector(),
                        KeyedTableRows.<DeadLetter>keySelector())
                : examples.connect(deadLetters);
        return inputs
                .transform("online two-tower", TypeInformation.of(WindowReport.class), new OnlineTrainerOperator(o.spec))
                .setParallelism(1)
                .setMaxParallelism(1)
                .slotSharingGroup(TrainingJob.TRAINER_SLOT_GROUP);
    }
}
