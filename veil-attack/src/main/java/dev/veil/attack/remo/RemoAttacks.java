package dev.veil.attack.remo;

import dev.veil.attack.AttackTarget;
import dev.veil.attack.Observation;
import dev.veil.attack.SchemeAttacks;
import dev.veil.attack.Sweep;
import dev.veil.attack.VictimRun;
import dev.veil.engine.model.Model;
import dev.veil.engine.ring.Numeric;
import dev.veil.node.Scheme;
import dev.veil.node.SchemeOption;
import dev.veil.node.remo.MaskSize;
import dev.veil.node.remo.RemoConfig;
import dev.veil.node.remo.RemoScheme;
import dev.veil.protocol.Rows;
import dev.veil.protocol.transcript.TranscriptWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * ReMO under attack. Its public bases are public: the attacker masks its own text on the victim's bases with the
 * lab's simulation ({@link #simulated}), which a real node, drawing fresh bases, would not do. The victim is the
 * scheme's own node.
 */
public final class RemoAttacks implements SchemeAttacks {
    private static final String M = "1/16,1/8,1/4,1/2,3/4,15/16", NUMERIC = "exact,float";

    @Override
    public String scheme() {
        return "remo";
    }

    @Override
    public List<SchemeOption> sweepOptions() {
        return List.of(new SchemeOption("m", "M", "m as fractions of d_in (default: " + M + ")"),
                new SchemeOption("numeric", "MODE",
                        "numeric modes to sweep, of float, exact (ring Z_2^64) and z32 (default: " + NUMERIC + ")"),
                new SchemeOption("mask-scale", "σ", "float mode: standard deviation of a mask entry (default: 1)"));
    }

    /** A line of m/d per numeric mode. */
    @Override
    public List<Sweep> sweeps(Map<String, String> given) {
        String maskScale = given.getOrDefault("mask-scale", "1");
        List<Sweep> sweeps = new ArrayList<>();
        for (Numeric n : Sweep.values(given.getOrDefault("numeric", NUMERIC)).stream().map(Numeric::parse).distinct().toList()) {
            String what = n.exact() ? "ReMO over " + n.ring.name() : "ReMO in float, σ = " + maskScale;
            sweeps.add(new Sweep("remo-" + n, scheme(), Map.of("numeric", n.toString(), "mask-scale", maskScale), "m", "m/d=",
                    Sweep.values(given.getOrDefault("m", M)), new Sweep.Plot(what, "m / d_in", "tra-vs-m-" + n)));
        }
        return sweeps;
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
