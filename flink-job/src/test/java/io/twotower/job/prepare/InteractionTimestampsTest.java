package io.twotower.job.prepare;

import org.junit.jupiter.api.Test;

import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class InteractionTimestampsTest {
    /** 2024-03-05T10:15:30Z. */
    static final long T = Instant.parse("2024-03-05T10:15:30Z").getEpochSecond();

    @Test
    void numbersKeepTheirValueAndUnitAsBefore() {
        assertThat(InteractionTimestamps.parse("1709633730")).isEqualTo(1709633730L);
        assertThat(InteractionTimestamps.parse(" 1709633730123 ")).isEqualTo(1709633730123L);
        assertThat(InteractionTimestamps.parse("-5")).isEqualTo(-5L);
        assertThat(InteractionTimestamps.parse("1709633730.9")).isEqualTo(1709633730L);
        assertThat(InteractionTimestamps.parse("1.7e9")).isEqualTo(1_700_000_000L);
    }

    @Test
    void isoDateTimesAreEpochSecondsWithUtcWhenNoZoneIsGiven() {
        assertThat(T).isEqualTo(1709633730L);
        assertThat(InteractionTimestamps.parse("2024-03-05T10:15:30Z")).isEqualTo(T);
        assertThat(InteractionTimestamps.parse("2024-03-05t10:15:30z")).isEqualTo(T);
        assertThat(InteractionTimestamps.parse("2024-03-05T10:15:30")).isEqualTo(T);
        assertThat(InteractionTimestamps.parse("2024-03-05 10:15:30")).isEqualTo(T);
        assertThat(InteractionTimestamps.parse("2024-03-05T10:15")).isEqualTo(T - 30);
        assertThat(InteractionTimestamps.parse("2024-03-05T10:15:30.999Z")).isEqualTo(T);
        assertThat(InteractionTimestamps.parse("2024-03-05T10:15:30.123456789")).isEqualTo(T);
        assertThat(InteractionTimestamps.parse("2024-03-05T11:15:30+01:00")).isEqualTo(T);
        assertThat(InteractionTimestamps.parse("2024-03-05T11:15:30+0100")).isEqualTo(T);
        assertThat(InteractionTimestamps.parse("2024-03-05T11:15:30+01")).isEqualTo(T);
        assertThat(InteractionTimestamps.parse("2024-03-05T05:45:30-04:30")).isEqualTo(T);
        assertThat(InteractionTimestamps.parse("2024-03-05 10:15:30+00:00")).isEqualTo(T);
    }

    @Test
    void datesAreMidnightUtc() {
        assertThat(InteractionTimestamps.parse("2024-03-05")).isEqualTo(Instant.parse("2024-03-05T00:00:00Z").getEpochSecond());
        assertThat(InteractionTimestamps.parse("1970-01-01")).isZero();
        assertThat(InteractionTimestamps.parse("1969-12-31")).isEqualTo(-86400L);
    }

    @Test
    void anythingElseFailsSayingWhatIsAccepted() {
        for (String bad : new String[] {"yesterday", "", "2024-02-30", "2024-03-05T25:00:00Z", "2024-03-05T10:15:30Q",
                "2024-3-5", "05/03/2024", "2024-03-05T", "2024-03-05+01:00", "NaN", "Infinity", "12abc"}) {
            assertThatThrownBy(() -> InteractionTimestamps.parse(bad)).as(bad)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("'" + bad + "' is not a timestamp (expected epoch seconds, an ISO-8601 date-time such"
                            + " as 2024-03-05T10:15:30Z or a date such as 2024-03-05)");
        }
    }
}
