package io.twotower.connectors.kafka;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.Serializable;
import java.nio.charset.StandardCharsets;

/**
 * The JSON event format, {"user_id": "...", "item_id": "...", "timestamp": epoch-millis}, with
 * configurable field names. Ids may be JSON strings or integers; parsing never throws: a bad record
 * yields a reason for the dead-letter topic.
 */
public final class EventFormat implements Serializable {
    private static final long serialVersionUID = 1L;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String userField;
    private final String itemField;
    private final String timeField;

    public EventFormat(String userField, String itemField, String timeField) {
        this.userField = userField;
        this.itemField = itemField;
        this.timeField = timeField;
    }

    public static EventFormat defaults() {
        return new EventFormat("user_id", "item_id", "timestamp");
    }

    /** The outcome of parsing one record: an event, or the reason it is unusable. */
    public static final class Parsed {
        public final InteractionEvent event;
        public final String error;

        private Parsed(InteractionEvent event, String error) {
            this.event = event;
            this.error = error;
        }
    }

    public Parsed parse(byte[] value) {
        if (value == null) {
            return new Parsed(null, "null record value");
        }
        JsonNode node;
        try {
            node = JSON.readTree(value);
        } catch (Exception e) {
            return new Parsed(null, "not JSON: " + firstLine(e.getMessage()));
        }
        if (node == null || !node.isObject()) {
            return new Parsed(null, "not a JSON object");
        }
        String user = id(node, userField);
        if (user == null) {
            return new Parsed(null, "field '" + userField + "' is missing, empty or not a string/integer");
        }
        String item = id(node, itemField);
        if (item == null) {
            return new Parsed(null, "field '" + itemField + "' is missing, empty or not a string/integer");
        }
        JsonNode t = node.get(timeField);
        if (t == null || !t.canConvertToLong() || !t.isIntegralNumber() || t.asLong() < 0) {
            return new Parsed(null, "field '" + timeField + "' must be a non-negative integer of epoch milliseconds");
        }
        return new Parsed(new InteractionEvent(user, item, t.asLong()), null);
    }

    private static String id(JsonNode node, String field) {
        JsonNode v = node.get(field);
        if (v == null || !(v.isTextual() || v.isIntegralNumber())) {
            return null;
        }
        String s = v.asText().trim();
        return s.isEmpty() ? null : s;
    }

    public byte[] encode(InteractionEvent event) {
        ObjectNode node = JSON.createObjectNode();
        node.put(userField, event.user);
        node.put(itemField, event.item);
        node.put(timeField, event.timestamp);
        return node.toString().getBytes(StandardCharsets.UTF_8);
    }

    public static byte[] encode(DeadLetter letter) {
        ObjectNode node = JSON.createObjectNode();
        node.put("reason", letter.reason);
        node.put("value", letter.value);
        node.put("source", letter.source);
        return node.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
