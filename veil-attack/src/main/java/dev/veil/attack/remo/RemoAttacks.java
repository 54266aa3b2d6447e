package dev.veil.attack.remo;

import dev.veil.attack.AttackTarget;
import dev.veil.attack.Observation;
import dev.veil.attack.SchemeAttacks;
import dev.veil.attack.VictimRun;
import dev.veil.engine.model.Model;
import dev.veil.engine.ring.Numeric;
import dev.veil.node.Scheme;
import dev.veil.node.remo.MaskSize;
import dev.veil.node.remo.RemoConfig;
import dev.veil.node.remo.RemoScheme;
import dev.veil.protocol.Rows;
import dev.veil.protocol.transcript.TranscriptWriter;
import java.util.List;
import java.util.Map;

/**
 * ReMO under attack. Its public bases are public: the attacker masks its own text on the victim's bases with the
 * lab's simulation ({@link #simulated}), which a real node, drawing fresh bases, would not do. The victim is the
 * scheme's own node.
 */
public final class RemoAttacks implements SchemeAttacks {
    @Override
    public String scheme() {
        return "remo";
    }

    @Override
    public List<AttackTarget> views(Scheme scheme, Model model, String modelId, AttackTarget ownNode) {
        RemoConfig c = ((RemoScheme) scheme).config();
        double m = c.size().absolute() > 0 ? c.size().absolute() : c.size().fraction();
        AttackTarget imitation = simulated(model, m, c.numeric(), c.maskScale());
        return List.of(new AttackTarget() {
            @Override public String name() { return ownNode.name(); }

            @Override
            public Deployment victim(long seed, TranscriptWriter transcript) {
                return ownNode.victim(seed, transcript);
            }

            @Override
            public Deployment attacker(Observation victimView, long seed, TranscriptWriter transcript) {
                return imitation.attacker(victimView, seed, transcript);
            }
        });
    }

    /**
     * ReMO as the paper defines it (fresh Mpvt per call), simulated in this process; see {@link SimulatedRemo}.
     * {@code m} is a fraction of d_in when below 1, else a rank.
     */
    public static AttackTarget simulated(Model model, double m, Numeric numeric, double maskScale) {
        return new AttackTarget() {
            @Override public String name() { return "remo"; }

            @Override
            public Deployment victim(long seed, TranscriptWriter transcript) {
                return deployment(null, seed, transcript);
            }

            @Override
            public Deployment attacker(Observation victimView, long seed, TranscriptWriter transcript) {
                return deployment(victimView.bases(), seed, transcript);
            }

            private Deployment deployment(Map<Observation.Key, Rows> bases, long seed, TranscriptWriter transcript) {
                var rec = new Observation.Recorder(transcript);
                var ops = new SimulatedRemo(model.config(), model.linear(), numeric, rec, MaskSize.of(m), bases, maskScale, seed);
                return (prompt, answerTokens) -> VictimRun.run(model, ops, rec, prompt, answerTokens);
            }
        };
    }
}
