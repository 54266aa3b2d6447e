package dev.veil.cli;

import dev.veil.attack.AttackTarget;
import dev.veil.attack.Observation;
import dev.veil.attack.VictimRun;
import dev.veil.engine.inference.Sampler;
import dev.veil.engine.model.Model;
import dev.veil.node.Scheme;
import dev.veil.node.TrustedNode;
import dev.veil.attack.SchemeAttacks;
import dev.veil.protocol.transcript.TranscriptWriter;
import java.util.Arrays;
import java.util.List;

/**
 * Any registered scheme under attack. The victim is the scheme's real trusted node with its weights servers in
 * this process, the first writing its transcript; the attacker deploys the same scheme with secrets of its own.
 *
 * <p>A scheme with no weights server is attacked as a server shown the activations in the clear ({@link AttackTarget#plain});
 * a scheme whose attack differs (remo's attacker imitates it on public bases, shares has three adversaries)
 * says how through its {@link SchemeAttacks}. The victim's secrets come from its node's DRBG, never the seed.
 */
final class SchemeTarget implements AttackTarget {
    private final Scheme scheme;
    private final Model model;
    private final String modelId;

    private SchemeTarget(Scheme scheme, Model model, String modelId) {
        this.scheme = scheme;
        this.model = model;
        this.modelId = modelId;
    }

    static AttackTarget of(Scheme scheme, Model model, String modelId) {
        return scheme.servers() == 0 ? AttackTarget.plain(model) : new SchemeTarget(scheme, model, modelId);
    }

    /** Every view of the scheme an attacker may hold: the one server's, unless its {@link SchemeAttacks} says otherwise. */
    static List<AttackTarget> views(Scheme scheme, Model model, String modelId) {
        return SchemeAttacks.of(scheme, model, modelId, of(scheme, model, modelId));
    }

    @Override
    public String name() {
        return scheme.name();
    }

    @Override
    public Deployment victim(long seed, TranscriptWriter transcript) {
        return deployment("victim", transcript);
    }

    /** The scheme's node for {@code tenant}: the victim and the attacker are different tenants, so they never share draws. */
    private Deployment deployment(String tenant, TranscriptWriter transcript) {
        TrustedNode node = Deployments.inProcess(scheme, model, modelId, transcript);
        return new Deployment() {
            @Override
            public VictimRun run(int[] prompt, int answerTokens) {
                boolean[] editable = new boolean[prompt.length]; // every token but BOS is the user's
                Arrays.fill(editable, 1, prompt.length, true);
                try (var session = node.session(tenant)) {
                    return new VictimRun(null, prompt, session.generate(prompt, editable, answerTokens, Sampler.greedy(), t -> {}));
                }
            }

            @Override
            public void close() {
                node.close();
            }
        };
    }

    @Override
    public Deployment attacker(Observation victimView, long seed, TranscriptWriter transcript) {
        return deployment("attacker " + seed, transcript);
    }
}
