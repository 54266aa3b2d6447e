package dev.veil.node;

import dev.veil.engine.inference.Generator;
import dev.veil.engine.inference.Sampler;
import java.util.function.IntConsumer;
import java.util.function.IntPredicate;

/** One request on the trusted node: its own KV cache, masks or pads, and report. */
public interface Session extends AutoCloseable {
    /**
     * Generates up to {@code maxTokens} tokens after {@code prompt} (starting with BOS), passing each to
     * {@code onToken} as it is chosen; returns them, without a final stop token. {@code editable} marks the
     * prompt positions a sanitizer may change (the user's text, not BOS or template tokens); schemes that do not
     * change prompts ignore it.
     */
    default int[] generate(int[] prompt, boolean[] editable, int maxTokens, Sampler sampler, IntConsumer onToken) {
        return generateWhile(prompt, editable, maxTokens, sampler, Generator.goOn(onToken));
    }

    /**
     * As {@link #generate(int[], boolean[], int, Sampler, IntConsumer)}, but {@code onToken} says whether to go on:
     * false ends the generation after that token (a stop sequence in its text), which is the last one returned.
     */
    int[] generateWhile(int[] prompt, boolean[] editable, int maxTokens, Sampler sampler, IntPredicate onToken);

    /** What the session sent and spent so far. */
    SessionReport report();

    /** Ends the session (and its state on a weights server). */
    @Override
    default void close() {}
}
