package dev.veil.node;

import dev.veil.engine.inference.Generator;
import dev.veil.engine.inference.Sampler;
import dev.veil.protocol.transport.Traffic;
import java.util.function.IntPredicate;

/**
 * A session whose whole forward pass runs on the node, each weight multiply behind the scheme's
 * {@link dev.veil.engine.inference.LinearOps} (plain, remo, remo-otp): the prompt goes in unchanged.
 */
public final class ForwardSession implements Session {
    private final Scheme scheme;
    private final Generator generator;
    private final Traffic[] traffic;

    /** @param traffic this session's own traffic to each weights server */
    public ForwardSession(Scheme scheme, Generator generator, Traffic... traffic) {
        this.scheme = scheme;
        this.generator = generator;
        this.traffic = traffic;
    }

    @Override
    public int[] generateWhile(int[] prompt, boolean[] editable, int maxTokens, Sampler sampler, IntPredicate onToken) {
        return generator.generateWhile(prompt, maxTokens, sampler, onToken);
    }

    @Override
    public SessionReport report() {
        return SessionReport.of(scheme, traffic);
    }
}
