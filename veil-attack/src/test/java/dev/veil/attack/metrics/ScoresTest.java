package dev.veil.attack.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class ScoresTest {
    @Test
    void traAndExactMatchOnHandMadeCases() {
        List<int[]> truth = List.of(new int[] {1, 2, 3, 4}, new int[] {5, 6}, new int[] {7, 8, 9, 10});
        List<int[]> guess = List.of(new int[] {1, 2, 3, 4}, new int[] {5, 0}, new int[] {7, 8});
        Scores s = Scores.of(truth, guess, null);
        assertEquals(7.0 / 10, s.tra(), 1e-12);       // 4 + 1 + 2 of 10 (the short guess misses two)
        assertEquals(1.0 / 3, s.exactMatch(), 1e-12);  // only the first is exact; a prefix is not
        assertTrue(Double.isNaN(s.similarity()));
        assertEquals(10, s.positions());
        assertEquals(3, s.sequences());
    }

    @Test
    void longerGuessesAreNotExactAndEmptyTruthIsExactOnlyWhenEmpty() {
        Scores s = Scores.of(List.of(new int[] {1}, new int[0], new int[0]), List.of(new int[] {1, 2}, new int[0], new int[] {3}),
                (t, g) -> t.length == g.length ? 1 : 0);
        assertEquals(1.0, s.tra(), 1e-12);
        assertEquals(1.0 / 3, s.exactMatch(), 1e-12);
        assertEquals(0.0, s.similarity(), 1e-12); // only the non-empty truth is compared, and its lengths differ
    }
}
