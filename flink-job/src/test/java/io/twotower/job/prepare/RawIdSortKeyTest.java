package io.twotower.job.prepare;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

class RawIdSortKeyTest {
    /** The sort key's string order is RawIdOrder, on integers of every sign and size, padded ones and text ids. */
    @Test
    void keyOrderIsRawIdOrder() {
        List<String> ids = new ArrayList<>(List.of("0", "-1", "7", "007", "10", "2", "-9223372036854775", "999999999999999999",
                "a", "B", "é", "10a", "-", "", "u1", "u10", "u2", "\u4e2d"));
        Random random = new Random(3);
        for (int i = 0; i < 500; i++) {
            ids.add(random.nextBoolean() ? Long.toString(random.nextLong() / (1L << random.nextInt(63)))
                    : "i" + Integer.toString(random.nextInt(1000), 36));
        }
        RawIdSortKey key = new RawIdSortKey();
        List<String> byKey = new ArrayList<>(ids);
        byKey.sort((a, b) -> key.getKey(a).compareTo(key.getKey(b)));
        List<String> byOrder = new ArrayList<>(ids);
        byOrder.sort(RawIdOrder.INSTANCE);
        assertThat(byKey).isEqualTo(byOrder);
    }
}
