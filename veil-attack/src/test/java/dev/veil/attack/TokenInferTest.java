package dev.veil.attack;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.veil.attack.remo.RemoAttacks;
import dev.veil.engine.ring.Numeric;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The learned attack: deterministic under its seed, and it learns from the attacker's own text only. */
class TokenInferTest {
    static final String[] PUBLIC = {
            "Once upon a time there was a little girl named Lily.", "She loved to play outside in the park with her ball.",
            "One day she saw a big red dog near the tree.", "The dog was happy and wagged its tail.",
            "Tom and Sue went to the beach to build a castle.", "Mom said they must be careful near the water.",
            "The sun was warm and the sky was blue.", "They ate apples and cookies under a big tree.",
            "A little bird sang a song for the children.", "Ben found a shiny stone and showed it to his friend.",
            "The cat jumped on the bed and went to sleep.", "Everyone laughed and played until it was dark."};
    static final String VICTIM = "Lily and Tom played with the happy dog in the park.";

    static List<LabelledObservation> runs(AttackTarget.Deployment d) {
        List<LabelledObservation> out = new ArrayList<>();
        for (String s : PUBLIC) out.add(d.run(Stories.prompt(s), 6).labelled());
        return out;
    }

    @Test
    void trainingIsDeterministicUnderASeed() {
        var training = runs(AttackTarget.plain(Stories.MODEL).victim(0, null));
        var options = new Mlp.Options(32, 2, 16, 2e-3f, 99);
        var a = Mlp.train(features(training), labels(training), 64, 512, options);
        var b = Mlp.train(features(training), labels(training), 64, 512, options);
        assertArrayEquals(a.w1, b.w1);
        assertArrayEquals(a.w2, b.w2);
        var c = Mlp.train(features(training), labels(training), 64, 512, new Mlp.Options(32, 2, 16, 2e-3f, 100));
        assertTrue(!java.util.Arrays.equals(a.w1, c.w1), "another seed trains another network");
    }

    @Test
    void learnsFirstLayerInputsWithoutProtectionAndInTheNullSpaceOfRemo() {
        var options = new Mlp.Options(128, 40, 16, 3e-3f, 1);
        var plain = AttackTarget.plain(Stories.MODEL);
        var attack = TokenInferAttack.train(runs(plain.victim(0, null)), Site.QKV, 0, View.RAW, 512, options);
        assertAccuracyOnSeenTokens(attack, plain.victim(1, null).run(Stories.prompt(VICTIM), 6));

        var remo = RemoAttacks.simulated(Stories.MODEL, 0.25, Numeric.Z64, 1);
        var victim = remo.victim(7, null).run(Stories.prompt(VICTIM), 6);
        var own = remo.attacker(victim.observation(), 8, null);
        var nullSpace = TokenInferAttack.train(runs(own), Site.QKV, 0, View.NULL_SPACE, 512, options);
        assertAccuracyOnSeenTokens(nullSpace, victim);
    }

    /** Every victim token that occurs in the public text is recovered (the others cannot be learnt). */
    private static void assertAccuracyOnSeenTokens(Attack attack, VictimRun victim) {
        java.util.Set<Integer> seen = new java.util.HashSet<>();
        for (String s : PUBLIC) for (int t : Stories.prompt(s)) seen.add(t);
        int[] truth = victim.positionTokens(), guess = attack.guess(victim.observation());
        int known = 0, right = 0;
        for (int i = 0; i < truth.length; i++) {
            if (!seen.contains(truth[i])) continue;
            known++;
            if (guess[i] == truth[i]) right++;
        }
        assertTrue(known >= truth.length / 2 && right == known, attack.name() + ": " + right + " of " + known + " known tokens");
    }

    private static float[] features(List<LabelledObservation> runs) {
        List<float[]> all = runs.stream().map(r -> r.observation().received(Site.QKV, 0)).toList();
        int total = all.stream().mapToInt(a -> a.length).sum(), at = 0;
        float[] x = new float[total];
        for (float[] a : all) {
            System.arraycopy(a, 0, x, at, a.length);
            at += a.length;
        }
        return x;
    }

    private static int[] labels(List<LabelledObservation> runs) {
        return runs.stream().flatMapToInt(r -> java.util.Arrays.stream(r.tokens())).toArray();
    }
}
