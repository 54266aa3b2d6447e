package dev.veil.attack;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.veil.engine.inference.Forward;
import dev.veil.engine.inference.KVCache;
import dev.veil.engine.inference.LocalLinearOps;
import dev.veil.engine.inference.Sampler;
import dev.veil.protocol.Rows;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The CMIF attacks on what CMIF's server sees: input embeddings in, final hidden states out, per session. */
class CmifAttacksTest {
    final ShadowDecoder shadow = new ShadowDecoder(Stories.MODEL);

    /** A CMIF session as its server sees it: the (sanitized) prompt, then greedy answer tokens fed back. */
    record Session(Observation observation, int[] fed, int[] answer) {}

    static Session session(int[] sanitizedPrompt, int answerTokens) {
        var m = Stories.MODEL;
        var forward = new Forward(m.config(), m.node(), new LocalLinearOps(m.config(), m.linear()));
        var cache = new KVCache(m.config(), sanitizedPrompt.length + answerTokens);
        List<Exchange> exchanges = new ArrayList<>();
        int[] tokens = sanitizedPrompt;
        int[] answer = new int[answerTokens];
        int dim = m.config().dim();
        for (int step = 0; step < answerTokens; step++) {
            float[] x = forward.embed(tokens), in = x.clone();
            forward.layers(x, tokens.length, cache);
            exchanges.add(new Exchange(Site.DECODER_STACK, 0, new Rows.Floats(tokens.length, dim, in), new Rows.Floats(tokens.length, dim, x.clone())));
            answer[step] = Sampler.greedy().sample(forward.head(x, tokens.length, false));
            tokens = new int[] {answer[step]};
        }
        int[] fed = Arrays.copyOf(sanitizedPrompt, sanitizedPrompt.length + answerTokens - 1);
        System.arraycopy(answer, 0, fed, sanitizedPrompt.length, answerTokens - 1);
        return new Session(new Observation(exchanges, java.util.Map.of()), fed, answer);
    }

    @Test
    void nearestEmbeddingNamesEveryTokenTheServerReceived() {
        int[] prompt = Stories.prompt("the little dog was very happy");
        prompt[3] = 77; // as if the sanitizer had replaced a token
        var s = session(prompt, 8);
        assertEquals(prompt.length, s.observation().promptLength());
        assertArrayEquals(s.fed(), new EmbeddingInversionAttack(shadow).guess(s.observation()));
    }

    @Test
    void finalHiddenStatesGiveAwayTheWholeAnswer() {
        var s = session(Stories.prompt("Lily found a shiny red ball"), 10);
        var attack = new HiddenStateAttack(Stories.MODEL);
        int[] g = attack.guess(s.observation());
        int p = s.observation().promptLength();
        assertArrayEquals(Arrays.copyOfRange(s.fed(), p, s.fed().length), Arrays.copyOfRange(g, p, g.length));
        assertEquals(s.answer()[s.answer().length - 1], attack.next(s.observation()));
        var r = new AttackLab(Stories.MODEL, null).reconstruct(attack, s.observation());
        assertArrayEquals(s.answer(), r.answer());
    }
}
