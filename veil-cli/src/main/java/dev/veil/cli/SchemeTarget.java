package dev.veil.cli;

import dev.veil.attack.AttackTarget;
import dev.veil.attack.Observation;
import dev.veil.attack.VictimRun;
import dev.veil.engine.inference.Sampler;
import dev.veil.engine.model.Model;
import dev.veil.node.Scheme;
import dev.veil.node.TrustedNode;
import dev.veil.node.remo.RemoConfig;
import dev.veil.node.remo.RemoScheme;
import dev.veil.protocol.transcript.TranscriptWriter;
import dev.veil.node.shares.SharesScheme;
import java.util.Arrays;
import java.util.List;

/**
 * Any registered scheme under attack. The victim is the scheme's real trusted node with its weights servers in
 * this process, the first writing its transcript; the attacker deploys the same scheme with secrets of its own.
 *
 * <p>Two cases differ, both here. Plain runs no weights server, so the lab's reference is a server shown the
 * activations in the clear ({@link AttackTarget#plain}). ReMO's public bases are public: its attacker masks its
 * own text on the victim's bases with the lab's simulation ({@link AttackTarget#simulatedRemo}), which a real
 * node, drawing fresh bases, would not do. The victim's secrets come from its node's DRBG, never the seed.
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

    /**
     * Every view of the scheme an attacker may hold: the one server's; for shares, both servers joined (as
     * colluding servers would join them), then each server alone ({@link ShareViews}).
     */
    static List<AttackTarget> views(Scheme scheme, Model model, String modelId) {
        if (!(scheme instanceof SharesScheme shares)) return List.of(of(scheme, model, modelId));
        return Arrays.stream(ShareViews.View.values()).map(v -> (AttackTarget) new SharesAttackScheme(model, modelId, shares.config(),
                v)).toList();
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
        if (scheme instanceof RemoScheme remo) {
            RemoConfig c = remo.config();
            double m = c.size().absolute() > 0 ? c.size().absolute() : c.size().fraction();
            return AttackTarget.simulatedRemo(model, m, c.numeric(), c.maskScale()).attacker(victimView, seed, transcript);
        }
        return deployment("attacker " + seed, transcript);
    }
}
