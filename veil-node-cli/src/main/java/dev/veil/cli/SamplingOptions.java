package dev.veil.cli;

import dev.veil.engine.inference.Sampler;
import dev.veil.engine.tokenizer.Tokenizer;
import dev.veil.protocol.Counts;
import picocli.CommandLine.Option;

/** Prompt and sampling options shared by the commands that generate text. */
final class SamplingOptions {
    @Option(names = "--prompt", defaultValue = "", description = "prompt text; empty starts from BOS")
    String prompt;

    @Option(names = "--max-tokens", defaultValue = "256",
            description = "tokens to generate at most (cut to what the context leaves) (default: ${DEFAULT-VALUE})")
    int maxTokens;

    @Option(names = "--temperature", defaultValue = "0", description = "0 for greedy (default: ${DEFAULT-VALUE})")
    float temperature;

    @Option(names = "--top-k", defaultValue = "0",
            description = "keep the K most likely tokens; 0 keeps all (default: ${DEFAULT-VALUE})") int topK;
    @Option(names = "--top-p", defaultValue = "1",
            description = "keep the most likely tokens up to this total probability (default: ${DEFAULT-VALUE})")
    float topP;
    @Option(names = "--min-p", defaultValue = "0",
            description = "drop tokens below this share of the top token's probability (default: ${DEFAULT-VALUE})")
    float minP;
    @Option(names = "--seed", description = "seed of the sampler, for reproducible output (default: drawn from SecureRandom)")
    Long seed;

    Sampler sampler() {
        if (maxTokens < 0) throw new IllegalArgumentException("--max-tokens must not be negative");
        return seed != null ? new Sampler(temperature, topK, topP, minP, seed) : new Sampler(temperature, topK, topP, minP);
    }

    /** --max-tokens, cut (and said so on {@code err}) where the prompt leaves less room in the context. */
    int fitToContext(int promptTokens, int context, java.io.PrintStream err) {
        if (promptTokens >= context) {
            throw new IllegalArgumentException("the prompt (" + Counts.of(promptTokens, "token") + ") leaves no room in the model's context"
                    + " of " + context);
        }
        int room = context - promptTokens;
        if (maxTokens <= room) return maxTokens;
        err.printf("veil: --max-tokens %d cut to %d: the prompt (%s) leaves that much of the context of %d%n", maxTokens, room,
                Counts.of(promptTokens, "token"), context);
        return room;
    }

    /**
     * A prompt's tokens, saying whether BOS is among them: "BOS + 4 tokens" (BOS, then the text's four), or "4 tokens"
     * for a model whose texts do not start with BOS. The attack lab scores the tokens after BOS, so the demo's "4 of 4
     * prompt tokens" counts the same four.
     */
    static String promptTokens(Tokenizer tok, int[] input) {
        return promptTokens(tok, input, "token");
    }

    private static String promptTokens(Tokenizer tok, int[] input, String noun) {
        boolean bos = input.length > 0 && tok.bos() >= 0 && input[0] == tok.bos();
        return bos ? "BOS + " + Counts.of(input.length - 1, noun) : Counts.of(input.length, noun);
    }

    /** "[BOS + 4 prompt tokens + 60 generated in 0.41 s, 158.5 tokens/s]" (the rate counts all 65); no rate for an instant or empty run. */
    static String speed(Tokenizer tok, int[] input, int generated, double seconds) {
        int total = input.length + generated;
        String rate = seconds > 0 && total > 0 ? String.format(java.util.Locale.ROOT, ", %.1f tokens/s", total / seconds) : "";
        return String.format(java.util.Locale.ROOT, "%n[%s + %d generated in %.2f s%s]", promptTokens(tok, input, "prompt token"),
                generated, seconds, rate);
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
