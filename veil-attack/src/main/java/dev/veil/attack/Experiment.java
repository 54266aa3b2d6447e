package dev.veil.attack;

import dev.veil.attack.metrics.Scores;
import dev.veil.engine.model.Model;
import dev.veil.protocol.ModelDims;
import dev.veil.protocol.transcript.TranscriptWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The attack lab's workload: victim prompts (with greedy answers) through a scheme, the attacker's own runs on
 * disjoint public text, then every attack that applies to what the server saw, scored on prompts and answers.
 */
public final class Experiment {
    /**
     * @param answerTokens     answer tokens generated per prompt (at most)
     * @param inversionSteps   optimization steps per position of the inversion attack (0 skips it)
     * @param deepLayer        also attack this layer's FFN_DOWN input by vocabulary matching (-1: no)
     * @param transcript       where the victim's weights server writes its transcript (null: a temporary file)
     */
    public record Config(int answerTokens, Mlp.Options mlp, int inversionSteps, int deepLayer, long seed, Path transcript) {}

    /** Progress of the long stages, for a progress bar. */
    public interface Progress {
        void update(String stage, int done, int total);
    }

    public record Outcome(String scheme, List<AttackLab.Result> results, int victimSequences, int trainingSequences) {}

    private final Model model;
    private final String modelId;
    private final ShadowDecoder shadow;
    private final Config config;
    private final Scores.SequenceSimilarity similarity;

    public Experiment(Model model, String modelId, Config config, Scores.SequenceSimilarity similarity) {
        this.model = model;
        this.modelId = modelId;
        this.shadow = new ShadowDecoder(model);
        this.config = config;
        this.similarity = similarity;
    }

    public Outcome run(Scheme scheme, List<int[]> victimPrompts, List<int[]> publicPrompts, Progress progress) throws IOException {
        List<VictimRun> runs = victimRuns(scheme, victimPrompts, progress);
        List<VictimRun> training = new ArrayList<>();
        try (Scheme.Deployment own = scheme.attacker(runs.getFirst().observation(), config.seed() ^ 0x5DEECE66DL)) {
            for (int[] p : publicPrompts) {
                training.add(own.run(p, config.answerTokens()));
                progress.update(scheme.name() + ": attacker's own runs", training.size(), publicPrompts.size());
            }
        }
        List<Attack> attacks = attacks(runs.getFirst().observation(), training, progress, scheme.name());
        var lab = new AttackLab(model, similarity);
        List<AttackLab.Result> results = new ArrayList<>();
        int total = attacks.size() * runs.size();
        for (Attack a : attacks) {
            int base = results.size() * runs.size();
            int[] done = {0};
            results.add(lab.evaluate(a, runs, () -> progress.update(scheme.name() + ": " + a.name(), base + ++done[0], total)));
        }
        return new Outcome(scheme.name(), results, runs.size(), training.size());
    }

    /**
     * Runs the victim workload with the server writing its transcript, then reads the observations back from
     * that file: the attacks see exactly what the transcript holds.
     */
    List<VictimRun> victimRuns(Scheme scheme, List<int[]> prompts, Progress progress) throws IOException {
        Path file = config.transcript() != null ? config.transcript() : Files.createTempFile("veil-victim", ".transcript");
        List<VictimRun> truth = new ArrayList<>();
        try {
            try (var writer = new TranscriptWriter(file, modelId, ModelDims.of(model.config()));
                 Scheme.Deployment victim = scheme.victim(config.seed(), writer)) {
                for (int[] p : prompts) {
                    if (p.length < 2) throw new IllegalArgumentException("victim prompts need BOS and at least one token");
                    truth.add(victim.run(p, config.answerTokens()));
                    progress.update(scheme.name() + ": victim workload", truth.size(), prompts.size());
                }
            }
            List<Observation> seen = Transcripts.read(file);
            if (seen.size() != truth.size()) {
                throw new IllegalStateException("the transcript holds " + seen.size() + " sequences, the workload ran " + truth.size());
            }
            List<VictimRun> runs = new ArrayList<>();
            for (int i = 0; i < truth.size(); i++) runs.add(new VictimRun(seen.get(i), truth.get(i).prompt(), truth.get(i).answer()));
            return runs;
        } finally {
            if (config.transcript() == null) Files.deleteIfExists(file);
        }
    }

    /** The attacks that apply to what the server sees in {@code sample}, trained on the attacker's runs. */
    List<Attack> attacks(Observation sample, List<VictimRun> training, Progress progress, String scheme) {
        int vocab = model.config().vocabSize();
        List<LabelledObservation> labelled = training.stream().map(VictimRun::labelled).toList();
        List<Attack> attacks = new ArrayList<>();
        attacks.add(FrequencyPrior.fit(training.stream().map(VictimRun::prompt).toList(),
                training.stream().map(VictimRun::answer).toList(), vocab, true));
        boolean masked = sample.base(Site.QKV, 0) != null;
        attacks.add(new VocabularyMatchingAttack(shadow, Site.QKV, 0, VocabularyMatchingAttack.Distance.L2, View.RAW));
        if (masked) attacks.add(new NullSpaceProjectionAttack(shadow, Site.QKV, 0));
        if (config.deepLayer() >= 0) {
            attacks.add(new VocabularyMatchingAttack(shadow, Site.FFN_DOWN, config.deepLayer(), VocabularyMatchingAttack.Distance.L2,
                    masked ? View.NULL_SPACE : View.RAW));
        }
        progress.update(scheme + ": training token-infer", 0, 1);
        attacks.add(TokenInferAttack.train(labelled, Site.QKV, 0, View.RAW, vocab, config.mlp()));
        if (masked) {
            progress.update(scheme + ": training null-space-token-infer", 0, 1);
            attacks.add(TokenInferAttack.train(labelled, Site.QKV, 0, View.NULL_SPACE, vocab, config.mlp()));
        }
        if (config.inversionSteps() > 0 && !sample.ring()) { // gradients do not pass a ring's wrap-around
            attacks.add(new InversionAttack(shadow, Site.QKV, 0, masked ? View.NULL_SPACE : View.RAW, config.inversionSteps(), 0.2f, config.seed()));
        }
        return attacks;
    }
}
