package io.twotower.job.prepare;

import java.time.DateTimeException;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.ZoneOffset;
import java.time.chrono.IsoChronology;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.format.ResolverStyle;
import java.time.temporal.TemporalAccessor;
import java.time.temporal.TemporalQueries;
import java.util.Locale;

/**
 * Reads an interaction's time cell as one number that orders a user's interactions: a number as it is (epoch
 * seconds by convention, any unit works when every row uses it), an ISO-8601 date-time or a date as epoch seconds.
 *
 * <p>Accepted text: {@code 1709633730}, {@code 1709633730.5} (truncated), {@code 2024-03-05T10:15:30Z},
 * {@code 2024-03-05T10:15:30+01:00} (or {@code +0100}, {@code +01}), {@code 2024-03-05T10:15:30} (no zone: UTC),
 * a space instead of the {@code T} (as pandas and SQL write it), fractions of a second (truncated to the second,
 * like the numbers), and {@code 2024-03-05} (midnight UTC).
 */
public final class InteractionTimestamps {
    /** The accepted forms, for error messages. */
    public static final String FORMS = "epoch seconds, an ISO-8601 date-time such as 2024-03-05T10:15:30Z or a date"
            + " such as 2024-03-05";

    private static final DateTimeFormatter ISO = new DateTimeFormatterBuilder()
            .parseCaseInsensitive()
            .append(DateTimeFormatter.ISO_LOCAL_DATE)
            .optionalStart()
            .appendLiteral('T')
            .append(DateTimeFormatter.ISO_LOCAL_TIME)
            // One of "+01:00" (or Z), "+0100", "+01": strict patterns, tried in that order, so none eats a prefix.
            .optionalStart().appendOffset("+HH:MM:ss", "Z").optionalEnd()
            .optionalStart().appendOffset("+HHMMss", "Z").optionalEnd()
            .optionalStart().appendOffset("+HH", "Z").optionalEnd()
            .toFormatter(Locale.ROOT)
            .withChronology(IsoChronology.INSTANCE)
            .withResolverStyle(ResolverStyle.STRICT);

    private InteractionTimestamps() {}

    /**
     * The cell's time; numbers keep their unit, text becomes epoch seconds.
     *
     * @throws IllegalArgumentException saying which forms are accepted, when {@code text} is none of them
     */
    public static long parse(String text) {
        String v = text.trim();
        if (looksLikeDate(v)) {
            return isoEpochSeconds(v);
        }
        try {
            return Long.parseLong(v);
        } catch (NumberFormatException e) {
            try {
                double d = Double.parseDouble(v);
                if (Double.isFinite(d)) {
                    return (long) d;
                }
            } catch (NumberFormatException ignored) {
                // reported below
            }
            throw notATimestamp(v);
        }
    }

    /** A year and a dash: never a number, so the numeric path (the common case) costs no exception. */
    private static boolean looksLikeDate(String v) {
        return v.length() >= 10 && v.charAt(4) == '-' && Character.isDigit(v.charAt(0));
    }

    private static long isoEpochSeconds(String v) {
        String text = v.length() > 10 && v.charAt(10) == ' ' ? v.substring(0, 10) + 'T' + v.substring(11) : v;
        try {
            TemporalAccessor t = ISO.parse(text);
            LocalDate date = t.query(TemporalQueries.localDate());
            LocalTime time = t.query(TemporalQueries.localTime());
            ZoneOffset offset = t.query(TemporalQueries.offset());
            return LocalDateTime.of(date, time == null ? LocalTime.MIDNIGHT : time)
                    .toEpochSecond(offset == null ? ZoneOffset.UTC : offset);
        } catch (DateTimeException e) {
            throw notATimestamp(v);
        }
    }

    private static IllegalArgumentException notATimestamp(String v) {
        return new IllegalArgumentException(String.format("'%s' is not a timestamp (expected %s)", v, FORMS));
    }
}
