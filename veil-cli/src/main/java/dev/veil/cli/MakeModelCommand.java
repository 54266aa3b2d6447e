package dev.veil.cli;

import dev.veil.engine.ModelFormatException;
import dev.veil.engine.model.ModelShape;
import dev.veil.engine.model.RandomModels;
import dev.veil.engine.model.RopeScaling;
import dev.veil.engine.tensor.GGMLType;
import dev.veil.engine.model.Llama2cLoader;
import dev.veil.engine.tokenizer.SentencePieceModel;
import dev.veil.protocol.Counts;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Writes a deterministic random-weight GGUF model of a named or given shape. */
@Command(name = "make-model", mixinStandardHelpOptions = true,
        description = "Write a deterministic random-weight GGUF model of a named shape (or one given by its dimensions).")
final class MakeModelCommand implements Callable<Integer> {
    @Option(names = "--shape", description = "named shape: ${COMPLETION-CANDIDATES}; the options below override its values",
            completionCandidates = ShapeNames.class)
    String shape;

    @Option(names = "--arch", description = "llama, qwen2 or qwen3") String arch;
    @Option(names = "--dim", description = "model width: the embedding size d") Integer dim;
    @Option(names = "--hidden", description = "feed-forward width") Integer hidden;
    @Option(names = "--layers", description = "decoder layers") Integer layers;
    @Option(names = "--heads", description = "attention (query) heads") Integer heads;
    @Option(names = "--kv-heads", description = "key/value heads (fewer than --heads: grouped-query attention)") Integer kvHeads;
    @Option(names = "--head-dim", description = "width of one head (default: dim/heads)") Integer headDim;
    @Option(names = "--vocab", description = "vocabulary size") Integer vocab;
    @Option(names = "--context", description = "context length in tokens (default: 2048)") Integer context;
    @Option(names = "--rope-theta", description = "RoPE base frequency θ") Float ropeTheta;
    @Option(names = "--rms-eps", description = "RMSNorm ε") Float rmsEps;
    @Option(names = "--tied", arity = "1", description = "LM head tied to the embedding (true/false)") Boolean tied;
    @Option(names = "--rope-scaling", description = "Llama 3 RoPE scaling FACTOR,LOW,HIGH,ORIGINAL_CONTEXT, or none")
    String ropeScaling;

    @Option(names = "--type", defaultValue = "F32", description = "weight type: ${COMPLETION-CANDIDATES}; default ${DEFAULT-VALUE}",
            completionCandidates = TensorTypes.class, converter = TensorTypes.class)
    GGMLType type;

    @Option(names = "--seed", defaultValue = "42", description = "seed of the random weights (default: ${DEFAULT-VALUE})") long seed;

    @Option(names = "--tokenizer", description = "SentencePiece tokenizer.model or llama2.c tokenizer.bin whose vocabulary to use "
            + "(cut or grown to the vocab size); "
            + "default: stories260K's from the shared folder if present, else a synthetic one")
    Path tokenizer;

    @Option(names = "--out", required = true, description = "GGUF file to write") Path out;

    @Override
    public Integer call() throws Exception {
        ModelShape s = shape();
        SentencePieceModel vocabulary = vocabulary();
        long t0 = System.nanoTime();
        List<String> notes = RandomModels.write(s, type, seed, vocabulary, out);
        for (String note : notes) System.err.println("note: " + note);
        System.out.printf("wrote %s: %s %s, %,d parameters, %.1f MB, seed %d (%.1f s)%n", out, s.name(), type, s.parameters(),
                Files.size(out) / 1e6, seed, (System.nanoTime() - t0) / 1e9);
        return 0;
    }

    private ModelShape shape() {
        ModelShape b = shape == null ? null : ModelShape.named(shape);
        List<String> missing = new ArrayList<>();
        String a = pick(arch, b == null ? null : b.architecture(), "--arch", missing);
        Integer dd = pick(dim, b == null ? null : b.dim(), "--dim", missing);
        Integer hh = pick(heads, b == null ? null : b.heads(), "--heads", missing);
        Integer hid = pick(hidden, b == null ? null : b.hiddenDim(), "--hidden", missing);
        Integer l = pick(layers, b == null ? null : b.layers(), "--layers", missing);
        Integer v = pick(vocab, b == null ? null : b.vocabSize(), "--vocab", missing);
        if (!missing.isEmpty()) throw new IllegalArgumentException("give --shape, or all of " + String.join(", ", missing));
        int d = dd, h = hh;
        int kv = pick(kvHeads, b == null ? h : b.kvHeads(), "", missing);
        int hd = pick(headDim, b == null ? (h > 0 && d % h == 0 ? d / h : 0) : b.headDim(), "", missing);
        RopeScaling rs = b == null ? null : b.ropeScaling();
        if (ropeScaling != null) rs = parseScaling(ropeScaling);
        boolean custom = b == null || arch != null || dim != null || hidden != null || layers != null || heads != null || kvHeads != null
                || headDim != null || vocab != null || context != null || ropeTheta != null || rmsEps != null || tied != null
                        || ropeScaling != null;
        String name = custom ? "custom-" + a + "-" + d : b.name();
        return new ModelShape(name, a, d, hid, l, h, kv, hd, v,
                pick(context, b == null ? 2048 : b.contextLength(), "", missing),
                pick(ropeTheta, b == null ? 10000f : b.ropeTheta(), "", missing),
                pick(rmsEps, b == null ? 1e-5f : b.rmsEps(), "", missing),
                pick(tied, b == null ? Boolean.FALSE : b.tiedOutput(), "", missing), rs);
    }

    private static <T> T pick(T given, T base, String option, List<String> missing) {
        if (given != null) return given;
        if (base == null) missing.add(option);
        return base;
    }

    private static RopeScaling parseScaling(String spec) {
        if (spec.equalsIgnoreCase("none")) return null;
        String[] p = spec.split(",");
        try {
            if (p.length != 4) throw new NumberFormatException();
            return new RopeScaling(Float.parseFloat(p[0]), Float.parseFloat(p[1]), Float.parseFloat(p[2]), Integer.parseInt(p[3]));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--rope-scaling needs FACTOR,LOW,HIGH,ORIGINAL_CONTEXT (e.g. 32,1,4,8192) or none, got "
                    + spec);
        }
    }

    private SentencePieceModel vocabulary() throws java.io.IOException {
        Path tok = tokenizer;
        if (tok == null) {
            String shared = System.getProperty("veil.shared", System.getenv("VEIL_SHARED"));
            Path stories = shared == null ? null : Path.of(shared, "models", "stories260K", "tok512.bin");
            if (stories == null || !Files.isRegularFile(stories)) {
                System.err.println("vocabulary: synthetic (no --tokenizer, and no shared stories260K tokenizer found)");
                return null;
            }
            tok = stories;
        }
        if (!Files.isRegularFile(tok)) throw new ModelFormatException("tokenizer file not found: " + tok);
        SentencePieceModel v = tok.getFileName().toString().endsWith(".model") ? SentencePieceModel.read(tok)
                : Llama2cLoader.readVocabulary(tok, Llama2cLoader.countTokens(tok));
        System.err.println("vocabulary: " + tok + " (" + Counts.of(v.pieces().length, "token") + ")");
        return v;
    }

    static final class ShapeNames implements Iterable<String> {
        @Override
        public java.util.Iterator<String> iterator() {
            return ModelShape.NAMED.keySet().iterator();
        }
    }
}
