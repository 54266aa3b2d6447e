package dev.veil.attack;

import dev.veil.attack.metrics.Scores;
import dev.veil.engine.inference.Forward;
import dev.veil.engine.inference.KVCache;
import dev.veil.engine.inference.LocalLinearOps;
import dev.veil.engine.inference.Sampler;
import dev.veil.engine.model.Model;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Runs attacks on a workload's observations and scores them, prompts and answers apart.
 *
 * <p>An attack guesses one token per position the server saw. The prompt guess is positions 1 .. P−1 (BOS is
 * not scored). The answer's last token was never sent back to the model, so the attacker, who knows the model
 * and that answers are decoded greedily, runs the model on its own guesses and takes the most likely next
 * token; if that is a stop token the answer ends where the decode steps ended.
 */
public final class AttackLab {
    public record Result(String attack, Scores prompt, Scores answer) {}

    /** Guessed prompt (BOS excluded) and answer of one sequence. */
    public record Reconstruction(int[] prompt, int[] answer) {}

    private final Model model;
    private final Scores.SequenceSimilarity similarity;

    /** @param similarity sentence similarity of (truth, guess), or null to skip it */
    public AttackLab(Model model, Scores.SequenceSimilarity similarity) {
        this.model = model;
        this.similarity = similarity;
    }

    public Reconstruction reconstruct(Attack attack, Observation o) {
        int[] g = attack.guess(o);
        if (g.length != o.positions()) {
            throw new IllegalStateException(attack.name() + " guessed " + g.length + " tokens for " + o.positions() + " positions");
        }
        int p = o.promptLength();
        int[] prompt = Arrays.copyOfRange(g, Math.min(1, p), p);
        int next = attack.next(o);
        if (next < 0) next = nextToken(g);
        int[] answer = Arrays.copyOfRange(g, p, g.length);
        if (!model.tokenizer().isStop(next) && g.length < model.config().contextLength()) {
            answer = Arrays.copyOf(answer, answer.length + 1);
            answer[answer.length - 1] = next;
        }
        return new Reconstruction(prompt, answer);
    }

    /** The model's greedy next token after {@code tokens}. */
    int nextToken(int[] tokens) {
        var forward = new Forward(model.config(), model.node(), new LocalLinearOps(model.config(), model.linear()));
        float[] logits = forward.forward(tokens, new KVCache(model.config(), tokens.length), false);
        return Sampler.greedy().sample(logits);
    }

    public Result evaluate(Attack attack, List<VictimRun> runs, Runnable onRun) {
        List<int[]> truePrompts = new ArrayList<>(), trueAnswers = new ArrayList<>(), prompts = new ArrayList<>(), answers = new ArrayList<>();
        for (VictimRun run : runs) {
            var r = reconstruct(attack, run.observation());
            truePrompts.add(Arrays.copyOfRange(run.prompt(), 1, run.prompt().length));
            trueAnswers.add(run.answer());
            prompts.add(r.prompt());
            answers.add(r.answer());
            onRun.run();
        }
        return new Result(attack.name(), Scores.of(truePrompts, prompts, similarity), Scores.of(trueAnswers, answers, similarity));
    }
}
