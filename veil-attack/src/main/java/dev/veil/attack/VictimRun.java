package dev.veil.attack;

import dev.veil.engine.inference.Generator;
import dev.veil.engine.inference.LinearOps;
import dev.veil.engine.inference.Sampler;
import dev.veil.engine.model.Model;
import java.util.Arrays;

/**
 * One sequence of a workload: what the server saw, and, kept apart from every attack, the true prompt (BOS
 * first) and the answer the model generated. Only scoring reads the truth.
 */
public record VictimRun(Observation observation, int[] prompt, int[] answer) {

    /**
     * Runs {@code prompt} and up to {@code answerTokens} greedy answer tokens through {@code ops}, the trusted side
     * of a scheme whose server records into {@code recorder}.
     */
    public static VictimRun run(Model model, LinearOps ops, Observation.Recorder recorder, int[] prompt, int answerTokens) {
        int[] answer = new Generator(model, ops).generate(prompt, answerTokens, Sampler.greedy(), t -> {});
        return new VictimRun(recorder.take(), prompt, answer);
    }

    /** The tokens at the observation's positions: the prompt, then the answer tokens that were fed back. */
    public int[] positionTokens() {
        int n = observation.positions();
        int[] all = Arrays.copyOf(prompt, prompt.length + answer.length);
        System.arraycopy(answer, 0, all, prompt.length, answer.length);
        return Arrays.copyOf(all, n);
    }

    /** The run as an attacker's own labelled training example (for runs the attacker made on public text). */
    public LabelledObservation labelled() {
        return new LabelledObservation(observation, positionTokens());
    }
}
