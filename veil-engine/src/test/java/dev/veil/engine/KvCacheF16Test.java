package dev.veil.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.veil.engine.inference.Forward;
import dev.veil.engine.inference.Generator;
import dev.veil.engine.inference.KVCache;
import dev.veil.engine.inference.LocalLinearOps;
import dev.veil.engine.inference.Sampler;
import dev.veil.engine.model.Llama2cLoader;
import dev.veil.engine.model.Model;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The F16 KV cache against F32 on the real stories260K model, from BOS (the llama2.c golden) and from prompts. */
class KvCacheF16Test {
    static final int TOKENS = 60;  // the golden's length
    /**
     * Largest |logit(f16) − logit(f32)| allowed, both fed the F32 run's tokens. Measured: 2.0e-2 over these prompts
     * and 60 tokens each (the greedy tokens were all equal); the bound sits a little above it.
     */
    static final double MAX_LOGIT_DIFF = 0.03;
    static Model model;

    @BeforeAll
    static void load() throws Exception {
        model = Llama2cLoader.load(Shared.storiesBin(), Shared.storiesTokenizer());
    }

    static int[] prompt(String text) {
        int[] words = model.tokenizer().encode(text);
        int[] p = new int[words.length + 1];
        p[0] = model.tokenizer().bos();
        System.arraycopy(words, 0, p, 1, words.length);
        return p;
    }

    @Test
    void greedyTextEqualsF32AndLogitsStayClose() {
        var forward = new Forward(model.config(), model.node(), new LocalLinearOps(model.config(), model.linear()));
        double worst = 0;
        for (String text : new String[] {"", "Lily", "Once upon a time", "The dog was", "Tom and Sue went to"}) {
            int[] prompt = text.isEmpty() ? new int[] {model.tokenizer().bos()} : prompt(text);
            int[] f32 = greedy(forward, prompt, KVCache.Type.F32), f16 = greedy(forward, prompt, KVCache.Type.F16);
            assertArrayEquals(f32, f16, "greedy tokens after '" + text + "'");
            if (text.isEmpty()) {
                String out = model.tokenizer().decode(f16);
                assertTrue(out.startsWith(StoriesGoldenTest.REFERENCE), "f16 from BOS: " + out);
            }
            worst = Math.max(worst, maxLogitDiff(forward, prompt, f32));
        }
        System.out.printf("KV cache f16 vs f32: max |logit difference| %.3e%n", worst);
        assertTrue(worst > 0, "an F16 cache that rounds nothing is not F16");
        assertTrue(worst <= MAX_LOGIT_DIFF, "max |logit difference| " + worst + " > " + MAX_LOGIT_DIFF);
    }

    @Test
    void halfTheBytesAndGrowsAsItsType() {
        var c = model.config();
        var f32 = new KVCache(c, 32, KVCache.Type.F32);
        var f16 = new KVCache(c, 32, KVCache.Type.F16);
        assertEquals(2L * c.layers() * 32 * c.kvDim() * Float.BYTES, f32.byteSize());
        assertEquals(f32.byteSize() / 2, f16.byteSize());
        assertEquals(KVCache.Type.F16, f16.resized(c, 64).type());
        assertEquals(KVCache.Type.F16, KVCache.Type.parse("F16"));
        assertThrows(IllegalArgumentException.class, () -> KVCache.Type.parse("q8_0"));
    }

    private static int[] greedy(Forward forward, int[] prompt, KVCache.Type type) {
        var cache = new KVCache(model.config(), prompt.length + TOKENS, type);
        return Generator.generate(tokens -> forward.next(tokens, cache), model.tokenizer(), cache.capacity(), prompt, TOKENS,
                Sampler.greedy(), t -> {});
    }

    /** Both caches fed the prompt, then the same tokens: the largest logit difference at any step. */
    private static double maxLogitDiff(Forward forward, int[] prompt, int[] tokens) {
        var a = new KVCache(model.config(), prompt.length + tokens.length, KVCache.Type.F32);
        var b = new KVCache(model.config(), prompt.length + tokens.length, KVCache.Type.F16);
        double worst = diff(forward.forward(prompt, a, true), forward.forward(prompt, b, true));
        for (int t : tokens) {
            worst = Math.max(worst, diff(forward.forward(new int[] {t}, a, false), forward.forward(new int[] {t}, b, false)));
        }
        return worst;
    }

    private static double diff(float[] x, float[] y) {
        double worst = 0;
        for (int i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i] - y[i]));
        return worst;
    }
}
