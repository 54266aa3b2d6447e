package dev.veil.attack;

import dev.veil.engine.inference.LocalLinearOps;
import dev.veil.engine.model.Model;

/**
 * A protection scheme under attack. It makes deployments: the victim's, and the attacker's own imitation of it
 * (same public parameters, which the server saw, with the attacker's own secrets), used to make training data.
 */
public interface Scheme {
    String name();

    /** A deployment with fresh secrets drawn from {@code seed}. */
    Deployment victim(long seed);

    /** The attacker's deployment: the public parameters in {@code victimView} (bases), its own secrets. */
    Deployment attacker(Observation victimView, long seed);

    /** A running deployment: runs a sequence and returns what its server saw, with the truth kept apart. */
    interface Deployment {
        VictimRun run(int[] prompt, int answerTokens);
    }

    /** No protection: the server multiplies plain activations. */
    static Scheme plain(Model model) {
        return new Scheme() {
            @Override public String name() { return "plain"; }

            @Override
            public Deployment victim(long seed) {
                var rec = new Observation.Recorder();
                var ops = new ObservingLinearOps(model.config(), new LocalLinearOps(model.config(), model.linear()), rec);
                return (prompt, answerTokens) -> VictimRun.run(model, ops, rec, prompt, answerTokens);
            }

            @Override
            public Deployment attacker(Observation victimView, long seed) {
                return victim(seed);
            }
        };
    }

    /** ReMO as the paper defines it (float, fresh Mpvt per call), simulated in this process; see {@link SimulatedRemo}. */
    static Scheme simulatedRemo(Model model, double mFraction, float maskScale) {
        return new Scheme() {
            @Override public String name() { return "remo"; }

            @Override
            public Deployment victim(long seed) {
                return deployment(null, seed);
            }

            @Override
            public Deployment attacker(Observation victimView, long seed) {
                return deployment(victimView.bases(), seed);
            }

            private Deployment deployment(java.util.Map<Observation.Key, PublicBase> bases, long seed) {
                var rec = new Observation.Recorder();
                var ops = new SimulatedRemo(model.config(), new LocalLinearOps(model.config(), model.linear()), rec, mFraction, bases, maskScale, seed);
                return (prompt, answerTokens) -> VictimRun.run(model, ops, rec, prompt, answerTokens);
            }
        };
    }
}
