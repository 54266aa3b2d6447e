package dev.veil.attack;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.veil.attack.VocabularyMatchingAttack.Distance;
import dev.veil.attack.remo.SimulatedRemo;
import dev.veil.engine.ring.Numeric;
import dev.veil.node.remo.MaskSize;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Each attack on a small stories260K case whose answer is known. */
class AttacksTest {
    static final String PROMPT = "the movie is a charming and often affecting journey about a little dog named Max.";
    final ShadowDecoder shadow = new ShadowDecoder(Stories.MODEL);

    @Test
    void vocabularyMatchingRecoversEveryTokenOfAnUnprotectedPrompt() {
        int[] prompt = Stories.prompt(PROMPT);
        int[][] answer = new int[1][];
        Observation o = Stories.plain(prompt, 8, answer);
        var run = new VictimRun(o, prompt, answer[0]);
        for (Distance d : Distance.values()) {
            assertArrayEquals(run.positionTokens(), new VocabularyMatchingAttack(shadow, Site.QKV, 0, d, View.RAW).guess(o), d.name());
        }
        // Deeper sites need the recovered prefix; they reveal the tokens as well.
        assertArrayEquals(run.positionTokens(), new VocabularyMatchingAttack(shadow, Site.FFN_DOWN, 3, Distance.L2, View.RAW).guess(o));
        // With the greedy completion the whole answer comes back, last token included.
        var r = new AttackLab(Stories.MODEL, null).reconstruct(new VocabularyMatchingAttack(shadow, Site.QKV, 0, Distance.L2, View.RAW), o);
        assertArrayEquals(java.util.Arrays.copyOfRange(prompt, 1, prompt.length), r.prompt());
        assertArrayEquals(answer[0], r.answer());
    }

    @Test
    void simulatedRemoRestoresExactlyAndHidesTokensFromNaiveMatching() {
        int[] prompt = Stories.prompt(PROMPT);
        int[][] plainAnswer = new int[1][];
        Stories.plain(prompt, 12, plainAnswer);
        var rec = new Observation.Recorder();
        var remo = new SimulatedRemo(Stories.MODEL.config(), Stories.MODEL.linear(), Numeric.FLOAT, rec, MaskSize.fraction(0.5), null, 100, 3);
        var run = VictimRun.run(Stories.MODEL, remo, rec, prompt, 12);
        assertArrayEquals(plainAnswer[0], run.answer(), "ReMO restores E·W, so greedy output is unchanged");
        assertEquals(32, run.observation().base(Site.QKV, 0).rows());
        int hits = matches(run.positionTokens(), new VocabularyMatchingAttack(shadow, Site.QKV, 0, Distance.L2, View.RAW).guess(run.observation()));
        assertTrue(hits <= 2, "naive matching on masked rows found " + hits);
    }

    @Test
    void nullSpaceProjectionRecoversEveryTokenUnderPaperRemo() {
        int[] prompt = Stories.prompt(PROMPT);
        for (Numeric numeric : new Numeric[] {Numeric.FLOAT, Numeric.Z32, Numeric.Z64}) {
            for (double fraction : new double[] {1.0 / 16, 0.5, 15.0 / 16}) {
                var rec = new Observation.Recorder();
                var remo = new SimulatedRemo(Stories.MODEL.config(), Stories.MODEL.linear(), numeric, rec, MaskSize.fraction(fraction), null, 10, 5);
                var run = VictimRun.run(Stories.MODEL, remo, rec, prompt, 4);
                assertArrayEquals(run.positionTokens(), new NullSpaceProjectionAttack(shadow, Site.QKV, 0).guess(run.observation()),
                        numeric + " m/d " + fraction);
                if (numeric.exact()) {
                    int hits = matches(run.positionTokens(), new VocabularyMatchingAttack(shadow, Site.QKV, 0, Distance.L2, View.RAW).guess(run.observation()));
                    assertTrue(hits <= 2, "naive matching on ring-masked rows found " + hits);
                }
            }
        }
    }

    @Test
    void inversionByOptimizationRecoversAnUnprotectedPrompt() {
        int[] prompt = Stories.prompt("Lily and Ben played with a red ball.");
        Observation o = Stories.plain(prompt, 1, null);
        int[] truth = java.util.Arrays.copyOf(prompt, o.positions());
        assertArrayEquals(truth, new InversionAttack(shadow, Site.QKV, 0, View.RAW, 100, 0.2f, 1).guess(o));
    }

    @Test
    void frequencyPriorGuessesTheMostFrequentTokens() {
        var prior = FrequencyPrior.fit(List.of(new int[] {1, 7, 7, 9}, new int[] {1, 9, 7}), List.of(new int[] {4, 5, 5}), 16, true);
        Observation o = Stories.plain(Stories.prompt("a b"), 3, null); // BOS + 2 prompt tokens, 2 fed-back answer tokens
        int[] g = prior.guess(o);
        assertEquals(o.positions(), g.length);
        for (int i = 0; i < g.length; i++) assertEquals(i < o.promptLength() ? 7 : 5, g[i]);
    }

    static int matches(int[] a, int[] b) {
        int n = 0;
        for (int i = 0; i < Math.min(a.length, b.length); i++) if (a[i] == b[i]) n++;
        return n;
    }
}
