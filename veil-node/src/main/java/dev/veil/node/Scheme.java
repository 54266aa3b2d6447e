package dev.veil.node;

import dev.veil.engine.model.Model;
import dev.veil.engine.model.ModelParts;
import dev.veil.protocol.transport.Channel;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * A protection scheme as the trusted node runs it, with its parameters fixed ({@link Schemes} makes one from a
 * name and parameters). It says what the node must load and how many weights servers it talks to, and sets
 * itself up against them as a {@link TrustedNode}, whose sessions generate text.
 */
public interface Scheme {
    /** The registered name: plain, remo, remo-otp, cmif, ... */
    String name();

    /** Its parameters, for reports: "m = d_in/8, float". */
    String describe();

    /** What the node loads of the model: {@link ModelParts#NODE} when it holds no weight matrix. */
    ModelParts parts();

    /** Weights servers it talks to (0 for the plain engine). */
    int servers();

    /** What the attack lab recovers from this scheme, when it leaks; null at the privacy floor. */
    default String warning() {
        return null;
    }

    /** ε each sanitized token spends of a tenant's {@link TenantBudget}; NaN for a scheme that spends none. */
    default double epsilonPerToken() {
        return Double.NaN;
    }

    /**
     * The tenants' budget of what this scheme spends ({@link #epsilonPerToken()}), {@code limit} each, the spends kept
     * in {@code ledger} (null: the scheme's default place); for a scheme that spends nothing, none to make.
     */
    default TenantBudget budget(double limit, Path ledger) throws IOException {
        throw new UnsupportedOperationException(name() + " spends no privacy budget");
    }

    /** What privacy rests on, in a few words, for the privacy frontier (beside the scheme's point). */
    String trust();

    /**
     * Sets the scheme up: greets each weights server (of {@link #servers()}), checks it serves {@code model}'s
     * shape and prepares what sessions share (bases, pads, sanitizer). The node owns the channels from here on.
     */
    TrustedNode open(Model model, String modelId, List<Channel> servers);
}
