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
import java.util.function.Function;

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

    /**
     * @param serverSplit victim sequences that the server's own splitting of its transcript ({@link SequenceSplitter}, no
     *                    help from the lab) cuts exactly as they ran: same place in the order, prompt length and positions
     */
    public record Outcome(String scheme, List<AttackLab.Result> results, int victimSequences, int trainingSequences, int serverSplit) {}

    /** A workload's runs, and how many of them the server's own splitting cut exactly. */
    record Recorded(List<VictimRun> runs, int serverSplit) {}

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

    public Outcome run(AttackTarget scheme, List<int[]> victimPrompts, List<int[]> publicPrompts, Progress progress) throws IOException {
        Recorded victims = throughTranscript(config.transcript(), w -> scheme.victim(config.seed(), w), victimPrompts,
                scheme.name() + ": victim workload", progress);
        List<VictimRun> runs = victims.runs();
        Observation sample = runs.getFirst().observation();
        List<VictimRun> training = throughTranscript(null, w -> scheme.attacker(sample, config.seed() ^ 0x5DEECE66DL, w), publicPrompts,
                scheme.name() + ": attacker's own runs", progress).runs();
        List<Attack> attacks = attacks(sample, training, progress, scheme.name());
        var lab = new AttackLab(model, similarity);
        List<AttackLab.Result> results = new ArrayList<>();
        int total = attacks.size() * runs.size();
        for (Attack a : attacks) {
            int base = results.size() * runs.size();
            int[] done = {0};
            results.add(lab.evaluate(a, runs, () -> progress.update(scheme.name() + ": " + a.name(), base + ++done[0], total)));
        }
        return new Outcome(scheme.name(), results, runs.size(), training.size(), victims.serverSplit());
    }

    /**
     * Runs prompts through a deployment whose weights server writes its transcript, then streams the observations
     * back from that file: attacks see exactly what the transcript holds, and only scoring sees the truth. The
     * sequences run one at a time and the lab counts the server's records after each, so every call is attributed
     * to its sequence exactly ({@link RecordedSequences}). Of each sequence only the rows the attacks read are kept
     * ({@link #sites}), so memory grows with the workload's positions times the attacked widths, not with the
     * transcript (every layer's inputs and outputs).
     */
    Recorded throughTranscript(Path keep, Function<TranscriptWriter, AttackTarget.Deployment> deployment, List<int[]> prompts,
                                      String stage, Progress progress) throws IOException {
        return throughTranscript(keep, deployment, prompts, config.answerTokens(), stage, progress);
    }

    /** As above, {@code answerTokens} answer tokens per prompt (the repetition vote reads prompts only). */
    Recorded throughTranscript(Path keep, Function<TranscriptWriter, AttackTarget.Deployment> deployment, List<int[]> prompts,
                               int answerTokens, String stage, Progress progress) throws IOException {
        Path file = keep != null ? keep : Files.createTempFile("veil", ".transcript");
        List<VictimRun> truth = new ArrayList<>();
        long[] ends = new long[prompts.size()];
        try {
            try (var writer = new TranscriptWriter(file, modelId, ModelDims.of(model.config()));
                 AttackTarget.Deployment d = deployment.apply(writer)) {
                for (int[] p : prompts) {
                    if (p.length < 2) throw new IllegalArgumentException("prompts need BOS and at least one token");
                    VictimRun run = d.run(p, answerTokens);
                    ends[truth.size()] = writer.records(); // a server records each call before its reply goes out
                    truth.add(new VictimRun(null, run.prompt(), run.answer())); // the in-process view is read back below
                    progress.update(stage, truth.size(), prompts.size());
                }
            }
            List<Observation> seen = new ArrayList<>();
            Transcripts.stream(file, Transcripts.Keep.received(sites()), ends, seen::add);
            List<VictimRun> runs = new ArrayList<>();
            for (int i = 0; i < truth.size(); i++) runs.add(new VictimRun(seen.get(i), truth.get(i).prompt(), truth.get(i).answer()));
            return new Recorded(runs, serverSplit(file, runs));
        } finally {
            if (keep == null) Files.deleteIfExists(file);
        }
    }

    /** How many of {@code runs} the server's own splitting of {@code file} cuts exactly (only the calls that mark positions kept). */
    private static int serverSplit(Path file, List<VictimRun> runs) throws IOException {
        List<int[]> cut = new ArrayList<>();
        Transcripts.stream(file, Transcripts.Keep.received(List.of()), o -> cut.add(new int[] {o.promptLength(), o.positions()}));
        int exact = 0;
        for (int i = 0; i < Math.min(cut.size(), runs.size()); i++) {
            Observation truth = runs.get(i).observation();
            if (cut.get(i)[0] == truth.promptLength() && cut.get(i)[1] == truth.positions()) exact++;
        }
        return exact;
    }

    long seed() {
        return config.seed();
    }

    /**
     * The strongest attack that reads one copy exactly, with no training: CMIF's inputs are embedding rows (the nearest
     * names the sanitized token), a masked first layer gives way to the null-space projection, a plain one to matching.
     */
    Attack exactReader(Observation sample) {
        if (sample.exchanges().getFirst().site() == Site.DECODER_STACK) return new EmbeddingInversionAttack(shadow);
        if (sample.base(Site.QKV, 0) != null) return new NullSpaceProjectionAttack(shadow, Site.QKV, 0);
        return new VocabularyMatchingAttack(shadow, Site.QKV, 0, VocabularyMatchingAttack.Distance.L2, View.RAW);
    }

    /** The sites the attacks read: the first layer's QKV input, the deep layer's FFN-down input, CMIF's decoder stack. */
    List<Observation.Key> sites() {
        List<Observation.Key> keys = new ArrayList<>(List.of(new Observation.Key(Site.QKV, 0), new Observation.Key(Site.DECODER_STACK, 0)));
        if (config.deepLayer() >= 0) keys.add(new Observation.Key(Site.FFN_DOWN, config.deepLayer()));
        return keys;
    }

    /** The attacks that apply to what the server sees in {@code sample}, trained on the attacker's runs. */
    List<Attack> attacks(Observation sample, List<VictimRun> training, Progress progress, String scheme) {
        int vocab = model.config().vocabSize();
        List<LabelledObservation> labelled = training.stream().map(VictimRun::labelled).toList();
        List<Attack> attacks = new ArrayList<>();
        attacks.add(FrequencyPrior.fit(training.stream().map(VictimRun::prompt).toList(),
                training.stream().map(VictimRun::answer).toList(), vocab, true));
        if (sample.exchanges().getFirst().site() == Site.DECODER_STACK) { // CMIF
            attacks.add(new EmbeddingInversionAttack(shadow));
            progress.update(scheme + ": training token-infer", 0, 1);
            attacks.add(TokenInferAttack.train(labelled, Site.DECODER_STACK, 0, View.RAW, vocab, config.mlp()));
            attacks.add(new HiddenStateAttack(model));
            return attacks;
        }
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
        if (config.inversionSteps() > 0) {
            // Gradients do not pass a ring's wrap-around: over a ring the inversion can only fit the raw rows.
            View view = masked && !sample.ring() ? View.NULL_SPACE : View.RAW;
            attacks.add(new InversionAttack(shadow, Site.QKV, 0, view, config.inversionSteps(), 0.2f, config.seed()));
        }
        return attacks;
    }
}
