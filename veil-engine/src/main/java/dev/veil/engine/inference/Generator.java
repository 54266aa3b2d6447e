package dev.veil.engine.inference;

import dev.veil.engine.model.Model;
import dev.veil.engine.tokenizer.Tokenizer;
import java.util.Arrays;
import java.util.function.IntConsumer;
import java.util.function.IntPredicate;

/** Prefills a prompt, then decodes token by token until a stop token, the token limit or the context end. */
public final class Generator {
    private final Forward forward;
    private final Tokenizer tokenizer;

    public Generator(Model model, LinearOps linear) {
        this.forward = new Forward(model.config(), model.node(), linear);
        this.tokenizer = model.tokenizer();
    }

    public Forward forward() {
        return forward;
    }

    /**
     * Generates up to {@code maxTokens} tokens after {@code prompt} (which should start with BOS), calling
     * {@code onToken} with each as it is chosen. Returns the generated tokens (without the prompt, without a
     * final stop token).
     */
    public int[] generate(int[] prompt, int maxTokens, Sampler sampler, IntConsumer onToken) {
        return generateWhile(prompt, maxTokens, sampler, goOn(onToken));
    }

    /**
     * As {@link #generate(int[], int, Sampler, IntConsumer)}, but {@code onToken} says whether to go on: false ends the
     * generation after that token (a stop sequence), which is the last one returned.
     */
    public int[] generateWhile(int[] prompt, int maxTokens, Sampler sampler, IntPredicate onToken) {
        int context = forward.config().contextLength();
        checkPrompt(prompt, context);
        var cache = new KVCache(forward.config(), Math.min(context, prompt.length + Math.max(maxTokens, 1)));
        return generateWhile(tokens -> forward.next(tokens, cache), tokenizer, cache.capacity(), prompt, maxTokens, sampler, onToken);
    }

    /**
     * One forward pass: runs tokens at the positions after those already run, returns the last one's logits (which
     * may be overwritten by the next run; the tokens array is the caller's and reused).
     */
    public interface Step {
        float[] run(int[] tokens);
    }

    /**
     * The generation loop over any forward step (a local forward pass, or one whose layers run elsewhere), for
     * a sequence of at most {@code capacity} positions.
     */
    public static int[] generate(Step step, Tokenizer tokenizer, int capacity, int[] prompt, int maxTokens, Sampler sampler, IntConsumer onToken) {
        return generateWhile(step, tokenizer, capacity, prompt, maxTokens, sampler, goOn(onToken));
    }

    /** The generation loop, ended early when {@code onToken} returns false (after that token, which is returned). */
    public static int[] generateWhile(Step step, Tokenizer tokenizer, int capacity, int[] prompt, int maxTokens, Sampler sampler,
                                      IntPredicate onToken) {
        checkPrompt(prompt, capacity);
        int[] out = new int[maxTokens];
        int count = 0, positions = prompt.length;
        float[] logits = step.run(prompt);
        int[] one = new int[1];  // reused: a step must not keep its tokens
        while (count < maxTokens) {
            int next = sampler.sample(logits);
            if (tokenizer.isStop(next)) break;
            out[count++] = next;
            if (!onToken.test(next) || count == maxTokens || positions == capacity) break;
            one[0] = next;
            logits = step.run(one);
            positions++;
        }
        return Arrays.copyOf(out, count);
    }

    /** A callback that sees every token and never ends the generation early. */
    public static IntPredicate goOn(IntConsumer onToken) {
        return token -> {
            onToken.accept(token);
            return true;
        };
    }

    private static void checkPrompt(int[] prompt, int context) {
        if (prompt.length == 0) throw new IllegalArgumentException("prompt must hold at least one token (BOS)");
        if (prompt.length >= context) {
            throw new IllegalArgumentException("prompt of " + prompt.length + " tokens leaves no room in the context of " + context);
        }
    }
}
