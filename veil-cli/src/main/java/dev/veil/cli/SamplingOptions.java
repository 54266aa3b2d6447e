package dev.veil.cli;

import dev.veil.engine.inference.Sampler;
import dev.veil.engine.tokenizer.Tokenizer;
import picocli.CommandLine.Option;

/** Prompt and sampling options shared by the commands that generate text. */
final class SamplingOptions {
    @Option(names = "--prompt", defaultValue = "", description = "prompt text; empty starts from BOS")
    String prompt;

    @Option(names = "--max-tokens", defaultValue = "256", description = "tokens to generate at most")
    int maxTokens;

    @Option(names = "--temperature", defaultValue = "0", description = "0 for greedy")
    float temperature;

    @Option(names = "--top-k", defaultValue = "0", description = "0 keeps all") int topK;
    @Option(names = "--top-p", defaultValue = "1") float topP;
    @Option(names = "--min-p", defaultValue = "0") float minP;
    @Option(names = "--seed", description = "seed of the sampler, for reproducible output (default: drawn from SecureRandom)")
    Long seed;

    Sampler sampler() {
        if (maxTokens < 0) throw new IllegalArgumentException("--max-tokens must not be negative");
        return seed != null ? new Sampler(temperature, topK, topP, minP, seed) : new Sampler(temperature, topK, topP, minP);
    }

    /** Which positions of {@link #input}'s result are the user's text (a sanitizer may change them): all but BOS. */
    static boolean[] userTokens(Tokenizer tok, int[] input) {
        boolean[] user = new boolean[input.length];
        for (int i = 0; i < input.length; i++) user[i] = !(i == 0 && input[0] == tok.bos());
        return user;
    }

    /** BOS (when the model's texts start with one, or the prompt is empty) and the prompt's tokens. */
    static int[] input(Tokenizer tok, String text) {
        int[] encoded = tok.encode(text);
        boolean bos = tok.addBos() || encoded.length == 0;
        if (bos && tok.bos() < 0) throw new IllegalArgumentException("the model has no BOS token to start an empty prompt");
        int[] input = new int[encoded.length + (bos ? 1 : 0)];
        if (bos) input[0] = tok.bos();
        System.arraycopy(encoded, 0, input, bos ? 1 : 0, encoded.length);
        return input;
    }
}
