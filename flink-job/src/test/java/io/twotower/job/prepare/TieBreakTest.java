package io.twotower.job.prepare;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TieBreakTest {
    /** One user; items 30, 4, 100 and 7 at the same second (in that input order, 7 from a second file), 1 earlier. */
    static List<Interaction> tied() {
        List<Interaction> log = new ArrayList<>();
        log.add(new Interaction("u", "30", 10, 0, 1));
        log.add(new Interaction("u", "4", 10, 0, 2));
        log.add(new Interaction("u", "1", 5, 0, 3));
        log.add(new Interaction("u", "100", 10, 0, 4));
        log.add(new Interaction("u", "7", 10, 1, 1));
        return log;
    }

    /** Sorts as the job does: (time, the tie-break's two fields, file, row), item indices in raw-id order. */
    static List<String> sorted(TieBreak t, long seed, List<Interaction> log) {
        List<String> ids = log.stream().map(i -> i.item).distinct().sorted(RawIdOrder.INSTANCE)
                .collect(Collectors.toList());
        List<Interaction> copy = new ArrayList<>(log);
        copy.sort(Comparator.<Interaction>comparingLong(i -> i.timestamp)
                .thenComparingLong(i -> t.primary(seed, i.user, i.item, ids.indexOf(i.item)))
                .thenComparingLong(i -> t.secondary(ids.indexOf(i.item)))
                .thenComparingInt(i -> i.file)
                .thenComparingLong(i -> i.row));
        return copy.stream().map(i -> i.item).collect(Collectors.toList());
    }

    @Test
    void itemOrdersTiesByRawIdNumerically() {
        assertThat(sorted(TieBreak.ITEM, 0, tied())).containsExactly("1", "4", "7", "30", "100");
    }

    @Test
    void inputOrdersTiesByFileThenRow() {
        List<Interaction> log = tied();
        java.util.Collections.reverse(log);
        assertThat(sorted(TieBreak.INPUT, 0, log)).containsExactly("1", "30", "4", "100", "7");
    }

    @Test
    void hashOrdersTiesBySeededHashWhateverTheInputOrder() {
        for (long seed : new long[] {0, 1, 2}) {
            List<String> expected = new ArrayList<>(List.of("30", "4", "100", "7"));
            expected.sort((a, b) -> Long.compareUnsigned(TieBreak.hash(seed, "u", a), TieBreak.hash(seed, "u", b)));
            expected.add(0, "1");
            List<Interaction> reversed = tied();
            java.util.Collections.reverse(reversed);
            assertThat(sorted(TieBreak.HASH, seed, tied())).as("seed %s", seed).isEqualTo(expected);
            assertThat(sorted(TieBreak.HASH, seed, reversed)).as("seed %s, reversed input", seed).isEqualTo(expected);
        }
        // Different seeds give different orders of the same ties (for some seed among a few).
        List<String> first = sorted(TieBreak.HASH, 0, tied());
        boolean differs = false;
        for (long seed = 1; seed < 10 && !differs; seed++) {
            differs = !sorted(TieBreak.HASH, seed, tied()).equals(first);
        }
        assertThat(differs).isTrue();
    }

    @Test
    void parsesTheOptionAndNamesItWhenWrong() {
        assertThat(TieBreak.parse("input")).isEqualTo(TieBreak.INPUT);
        assertThat(TieBreak.parse("hash")).isEqualTo(TieBreak.HASH);
        assertThat(TieBreak.parse("item")).isEqualTo(TieBreak.ITEM);
        assertThatThrownBy(() -> TieBreak.parse("time")).hasMessage("--tie-break must be input, hash or item, got 'time'");
        assertThat(Holdout.parse("val+test")).isEqualTo(Holdout.VAL_TEST);
        assertThatThrownBy(() -> Holdout.parse("test")).hasMessage("--holdout must be val or val+test, got 'test'");
    }
}
