package dev.veil.attack;

import dev.veil.engine.Shared;
import dev.veil.engine.inference.Generator;
import dev.veil.engine.inference.LocalLinearOps;
import dev.veil.engine.inference.Sampler;
import dev.veil.engine.model.Llama2cLoader;
import dev.veil.engine.model.Model;

/** The real stories260K model, loaded once for all tests, and helpers to run it with an observing server. */
final class Stories {
    static final Model MODEL = load();

    private static Model load() {
        try {
            return Llama2cLoader.load(Shared.storiesBin(), Shared.storiesTokenizer());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** BOS followed by the encoding of {@code text}. */
    static int[] prompt(String text) {
        int[] t = MODEL.tokenizer().encode(text);
        int[] p = new int[t.length + 1];
        p[0] = MODEL.tokenizer().bos();
        System.arraycopy(t, 0, p, 1, t.length);
        return p;
    }

    /** Runs prompt + greedy answer with no protection; returns what the server saw. */
    static Observation plain(int[] prompt, int answerTokens, int[][] answerOut) {
        var rec = new Observation.Recorder();
        var ops = new ObservingLinearOps(MODEL.config(), new LocalLinearOps(MODEL.config(), MODEL.linear()), rec);
        int[] answer = new Generator(MODEL, ops).generate(prompt, answerTokens, Sampler.greedy(), t -> {});
        if (answerOut != null) answerOut[0] = answer;
        return rec.take();
    }
}
