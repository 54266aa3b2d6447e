package dev.veil.cli;

import dev.veil.attack.Corpus;
import dev.veil.attack.Experiment;
import dev.veil.attack.Mlp;
import dev.veil.attack.SchemeAttacks;
import dev.veil.attack.metrics.Scores;
import dev.veil.attack.metrics.SentenceEncoder;
import dev.veil.engine.model.Model;
import dev.veil.engine.model.ModelLoader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Option;

/** Options shared by the attack commands: the model, the victim's and the attacker's text, attack settings. */
final class Workload {
    @Option(names = "--model", description = "GGUF file or llama2.c checkpoint, the victim's model, known to the server (default: the shared stories260K)")
    Path model;

    @Option(names = "--tokenizer", description = "llama2.c tokenizer.bin (default: beside the checkpoint)")
    Path tokenizer;

    @Option(names = "--dataset", paramLabel = "DIR",
            description = "folder with test.tsv (victim prompts) and train.tsv (the attacker's public text, also counted for CMIF's "
                    + "token frequencies) (default: the shared SST-2)")
    Path dataset;

    @Option(names = "--prompts", defaultValue = "50", description = "victim prompts (default 50)")
    int prompts;

    @Option(names = "--answer-tokens", defaultValue = "24", description = "answer tokens generated per prompt (default 24)")
    int answerTokens;

    @Option(names = "--train-sentences", defaultValue = "1000", description = "public sentences the attacker runs itself (default 1000)")
    int trainSentences;

    @Option(names = "--epochs", defaultValue = "8", description = "TokenInfer training epochs (default 8)")
    int epochs;

    @Option(names = "--hidden", defaultValue = "256", description = "TokenInfer hidden units (default 256)")
    int hidden;

    @Option(names = "--inversion-steps", defaultValue = "100",
            description = "inversion: optimization steps per position; 0 skips it (default 100)")
    int inversionSteps;

    @Option(names = "--deep-layer", defaultValue = "-1",
            description = "also match vocabulary at this layer's FFN-down input (default: off)")
    int deepLayer;

    @Option(names = "--no-similarity", description = "skip the sentence-similarity metric (all-MiniLM-L6-v2)")
    boolean noSimilarity;

    @Option(names = "--seed", defaultValue = "1", description = "seed of the victim's secrets, sampling of text, and training (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--transcript", description = "keep the victim's weights-server transcript in this file (default: a temporary file)")
    Path transcript;

    Model loadModel() throws IOException {
        if (prompts <= 0 || answerTokens < 0 || trainSentences <= 0 || epochs <= 0 || hidden <= 0 || inversionSteps < 0) {
            throw new IllegalArgumentException("--prompts, --train-sentences, --epochs and --hidden must be positive; --answer-tokens and --inversion-steps not negative");
        }
        if (model == null) model = DemoCommand.sharedStories();
        Model m = ModelLoader.load(model, tokenizer);
        if (m.node() == null || m.linear() == null) throw new IllegalArgumentException("the attack lab needs the whole model");
        if (deepLayer >= m.config().layers()) throw new IllegalArgumentException("--deep-layer must be below " + m.config().layers());
        return m;
    }

    Experiment experiment(Model m, SentenceEncoder encoder) {
        Scores.SequenceSimilarity sim = encoder == null ? null : Scores.SequenceSimilarity.sentences(encoder, m.tokenizer()::decode);
        return new Experiment(m, model.getFileName().toString(), new Experiment.Config(answerTokens,
                new Mlp.Options(hidden, epochs, 128, 2e-3f, seed), inversionSteps, deepLayer, seed, transcript), sim);
    }

    /** Parameters the attack lab suggests to any scheme, from the attacker's public text (each scheme's SchemeAttacks says). */
    java.util.Map<String, String> schemeDefaults() {
        return SchemeAttacks.defaults(corpus().resolve("train.tsv"));
    }

    private Path corpus() {
        if (dataset != null) return dataset;
        String shared = System.getProperty("veil.shared", System.getenv().getOrDefault("VEIL_SHARED", "../shared"));
        return Path.of(shared, "data", "sst2");
    }

    private List<String> victimText() throws IOException {
        return Corpus.sample(Corpus.read(corpus().resolve("test.tsv")), prompts, seed);
    }

    List<int[]> victimPrompts(Model m) throws IOException {
        return victimText().stream().map(s -> encode(m, s)).toList();
    }

    /** Public sentences of at least 4 words, none of them a victim sentence. */
    List<int[]> publicPrompts(Model m) throws IOException {
        Path train = corpus().resolve("train.tsv");
        if (!Files.isRegularFile(train)) throw new IllegalArgumentException("corpus file not found: " + train);
        List<String> pub = Corpus.read(train).stream().filter(s -> s.split("\\s+").length >= 4).toList();
        pub = Corpus.disjoint(pub, Corpus.read(corpus().resolve("test.tsv")));
        return Corpus.sample(pub, trainSentences, seed + 1).stream().map(s -> encode(m, s)).toList();
    }

    private static int[] encode(Model m, String text) {
        int[] t = m.tokenizer().encode(text);
        int limit = Math.min(t.length, m.config().contextLength() / 2);
        int[] p = new int[limit + 1];
        p[0] = m.tokenizer().bos();
        System.arraycopy(t, 0, p, 1, limit);
        return p;
    }
}
