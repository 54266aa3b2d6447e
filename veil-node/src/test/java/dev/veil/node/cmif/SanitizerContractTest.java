package dev.veil.node.cmif;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** What every sanitizer promises: ε = ∞ changes nothing, template tokens never change, the spend adds up. */
class SanitizerContractTest {
    @TempDir Path cache;

    private Sanitizer create(String name, double epsilon, double p) {
        var params = new SanitizerParams(epsilon, 20, p, 1.0, 0.2);
        return Sanitizers.create(name, Fixtures.stories(), Fixtures.counts(), params, cache);
    }

    private int[] prompt() {
        var tok = Fixtures.model().tokenizer();
        String text = "Once upon a time, a little girl named Lily found a shiny red ball in the park.";
        int[] ids = tok.encode(text);
        int[] withBos = new int[ids.length + 1];
        withBos[0] = tok.bos();
        System.arraycopy(ids, 0, withBos, 1, ids.length);
        return withBos;
    }

    @ParameterizedTest
    @ValueSource(strings = {"rnm", "santext+", "custext+", "em"})
    void infiniteEpsilonLeavesTextUnchanged(String name) {
        var s = create(name, Double.POSITIVE_INFINITY, 1.0);
        int[] ids = prompt();
        var out = s.sanitize(ids, ExactRandom.seeded(1));
        assertArrayEquals(ids, out.ids());
        assertEquals(Double.POSITIVE_INFINITY, out.totalEpsilon());
    }

    @ParameterizedTest
    @ValueSource(strings = {"rnm", "santext+", "custext+", "em"})
    void templateTokensNeverChange(String name) {
        var s = create(name, 0.5, 1.0);
        int[] ids = prompt();
        boolean[] editable = new boolean[ids.length];
        for (int i = 0; i < ids.length; i++) editable[i] = i % 3 != 0; // BOS and every third token are template
        var random = ExactRandom.seeded(2);
        int changed = 0;
        for (int round = 0; round < 50; round++) {
            var out = s.sanitize(ids, editable, random);
            for (int i = 0; i < ids.length; i++) {
                if (!editable[i]) {
                    assertEquals(ids[i], out.ids()[i], "template token " + i + " changed");
                    assertTrue(!out.mechanized()[i]);
                }
                if (out.ids()[i] != ids[i]) changed++;
            }
            // The spend is ε for every token that went through the mechanism, and their sum.
            assertEquals(out.mechanizedCount() * 0.5, out.totalEpsilon(), 1e-12);
            assertTrue(out.spendLine().startsWith("privacy spend: " + out.mechanizedCount() + " tokens × ε 0.5"), out.spendLine());
        }
        assertTrue(changed > 50, name + " at ε 0.5 should change many user tokens, changed " + changed);
        var whole = s.sanitize(ids, random);
        assertEquals(ids[0], whole.ids()[0], "BOS is never an input to the mechanism");
    }

    @ParameterizedTest
    @ValueSource(strings = {"rnm", "santext+"})
    void sensitiveTokensAlwaysGoThroughTheMechanism(String name) {
        var s = create(name, 1.0, 0.0);
        var sensitive = SensitiveSet.leastFrequent(Fixtures.stories(), Fixtures.counts(), 0.2);
        int[] ids = prompt();
        var out = s.sanitize(ids, ExactRandom.seeded(4));
        for (int i = 0; i < ids.length; i++) assertEquals(sensitive.contains(ids[i]), out.mechanized()[i], "position " + i);
    }

    @ParameterizedTest
    @ValueSource(strings = {"nope", ""})
    void unknownSanitizerIsAClearError(String name) {
        var e = assertThrows(IllegalArgumentException.class, () -> create(name, 1, 0.3));
        assertTrue(e.getMessage().contains("rnm, santext+, custext+"));
    }
}
