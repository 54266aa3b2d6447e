package dev.veil.attack;

import dev.veil.engine.inference.LocalLinearOps;
import dev.veil.engine.model.Model;
import dev.veil.protocol.transcript.TranscriptWriter;

/**
 * A protection scheme as the attack lab deploys it (the node runs it as a {@code dev.veil.node.Scheme}). It makes
 * deployments: the victim's, and the attacker's own imitation of it (same public parameters, which the server
 * saw, with the attacker's own secrets), used to make training data.
 */
public interface AttackTarget {
    String name();

    /**
     * Which of the scheme's adversaries this target plays, when the scheme has several (shares: either server alone, or
     * both colluding); null for the one adversary.
     *
     * @param label     in words, for report rows ("server A alone")
     * @param tag       appended to the scheme's name in results ("A+B")
     * @param colluding whether it joins servers the scheme assumes do not collude (reported beside, not as, its privacy)
     */
    record View(String label, String tag, boolean colluding) {}

    default View view() {
        return null;
    }

    /** "@A+B" for a view, else empty: the suffix of this target's results. */
    default String tag() {
        return view() == null ? "" : "@" + view().tag();
    }

    /**
     * A deployment with fresh secrets drawn from {@code seed}; its weights server writes what it sees to
     * {@code transcript} (when not null).
     */
    Deployment victim(long seed, TranscriptWriter transcript);

    /**
     * The attacker's deployment: the public parameters in {@code victimView} (bases), its own secrets; its
     * server writes to {@code transcript}.
     */
    Deployment attacker(Observation victimView, long seed, TranscriptWriter transcript);

    /**
     * A running deployment: runs a sequence and returns the truth (and, for in-process simulations, what its
     * server saw; a real server's view is read from its transcript instead).
     */
    interface Deployment extends AutoCloseable {
        VictimRun run(int[] prompt, int answerTokens);

        @Override
        default void close() {}
    }

    /** No protection: the server multiplies plain activations. */
    static AttackTarget plain(Model model) {
        return new AttackTarget() {
            @Override public String name() { return "plain"; }

            @Override
            public Deployment victim(long seed, TranscriptWriter transcript) {
                var rec = new Observation.Recorder(transcript);
                var ops = new ObservingLinearOps(model.config(), new LocalLinearOps(model.config(), model.linear()), rec);
                return (prompt, answerTokens) -> VictimRun.run(model, ops, rec, prompt, answerTokens);
            }

            @Override
            public Deployment attacker(Observation victimView, long seed, TranscriptWriter transcript) {
                return victim(seed, transcript);
            }
        };
    }
}
