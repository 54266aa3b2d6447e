package dev.veil.cli;

import dev.veil.attack.Attack;
import dev.veil.attack.AttackLab;
import dev.veil.attack.EmbeddingInversionAttack;
import dev.veil.attack.NullSpaceProjectionAttack;
import dev.veil.attack.Observation;
import dev.veil.attack.ShadowDecoder;
import dev.veil.attack.Site;
import dev.veil.attack.Transcripts;
import dev.veil.attack.VocabularyMatchingAttack;
import dev.veil.attack.View;
import dev.veil.engine.inference.Forward;
import dev.veil.engine.inference.KVCache;
import dev.veil.engine.inference.LinearOps;
import dev.veil.engine.inference.LocalLinearOps;
import dev.veil.engine.inference.Projection;
import dev.veil.engine.inference.Sampler;
import dev.veil.engine.model.Model;
import dev.veil.engine.model.ModelLoader;
import dev.veil.node.Scheme;
import dev.veil.node.SchemeParams;
import dev.veil.node.Schemes;
import dev.veil.node.TrustedNode;
import dev.veil.protocol.Counts;
import dev.veil.protocol.ModelDims;
import dev.veil.protocol.Rows;
import dev.veil.protocol.transcript.TranscriptWriter;
import dev.veil.protocol.transport.Channel;
import dev.veil.protocol.transport.TcpChannel;
import dev.veil.protocol.transport.ServerLimits;
import dev.veil.protocol.transport.TcpServer;
import dev.veil.weights.WeightsServer;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Every scheme end to end in one process, its weights server on a real loopback socket: the plain engine gives
 * the reference text; each scheme generates the same prompt, then the demo shows what its weights server received
 * for the first prompt token and what the quickest strong attack recovers of the prompt from the server's
 * transcript (the null-space attack where there are public bases, else vocabulary matching). It hides nothing:
 * ReMO's masked numbers look random and still give the prompt away.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Plain, ReMO and remo-otp on one prompt over loopback TCP: the text, what the weights server received, "
                + "and what an attack recovers from it.")
final class DemoCommand implements Callable<Integer> {
    @Option(names = "--model", description = "GGUF file or llama2.c checkpoint (default: the shared stories260K)")
    Path model;

    @Option(names = "--tokenizer", description = "llama2.c tokenizer.bin (default: beside the checkpoint)")
    Path tokenizer;

    @Option(names = "--prompt", defaultValue = "Once upon a time, there was a", description = "prompt text (default: ${DEFAULT-VALUE})")
    String prompt;

    @Option(names = "--max-tokens", defaultValue = "60", description = "tokens to generate (greedy; default: ${DEFAULT-VALUE})")
    int maxTokens;

    @Option(names = "--schemes", split = ",", defaultValue = "remo,remo-otp", paramLabel = "NAME",
            description = "schemes to run beside plain, in order (default: ${DEFAULT-VALUE})")
    List<String> schemes;

    @Option(names = "--transcripts", paramLabel = "DIR", description = "keep each weights server's transcript in DIR/<scheme>.transcript")
    Path transcripts;

    @Mixin SchemeParameters parameters;
    @Mixin EngineOptions engine;

    @Override
    public Integer call() throws Exception {
        if (maxTokens < 0) throw new IllegalArgumentException("--max-tokens must not be negative");
        if (transcripts != null && !Files.isDirectory(transcripts)) {
            throw new IllegalArgumentException("--transcripts: no folder " + transcripts);
        }
        // Every scheme, plain too, in exact ring arithmetic unless --numeric says otherwise: then all give the same tokens.
        var params = new SchemeParams(parameters.given(), Map.of("numeric", "exact"));
        Scheme plain = Schemes.type(Schemes.BASELINE).create(params);
        List<Scheme> list = new ArrayList<>();
        for (String name : schemes) list.add(Schemes.type(name).create(params));
        params.checkAllRead(String.join(", ", schemes));
        if (model == null) model = sharedStories();
        Model m = ModelLoader.load(model, tokenizer);
        var tok = m.tokenizer();
        int[] input = SamplingOptions.input(tok, prompt);
        if (input.length < 2) throw new IllegalArgumentException("the demo needs a prompt of at least one token");
        int max = Math.min(maxTokens, m.config().contextLength() - input.length);
        var out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        String id = model.getFileName().toString();
        var shadow = new ShadowDecoder(m);

        out.printf("prompt: %s  [%s]%n%n", prompt, SamplingOptions.promptTokens(tok, input));
        int[] reference;
        try (var node = Deployments.inProcess(plain, m, id); var session = node.session()) {
            reference = session.generate(input, SamplingOptions.userTokens(tok, input), max, Sampler.greedy(), t -> {});
        }
        out.printf("== plain (%s): the engine alone, no weights server%n", plain.describe());
        out.println("answer: " + prompt + tok.decode(input[input.length - 1], reference));

        List<String> summary = new ArrayList<>();
        for (Scheme scheme : list) {
            out.println();
            Path file = transcripts != null ? transcripts.resolve(scheme.name() + ".transcript")
                    : Files.createTempFile("veil-demo", ".transcript");
            try {
                summary.add(run(scheme, m, id, input, max, reference, file, shadow, out));
            } finally {
                if (transcripts == null) Files.deleteIfExists(file);
            }
        }
        out.println("\nwhat each weights server's transcript gives away of the prompt:");
        summary.forEach(line -> out.println("  " + line));
        if (transcripts != null) out.println("transcripts kept in " + transcripts);
        return 0;
    }

    /**
     * One scheme over loopback TCP: its text, the server's view of the first prompt token, and an attack on the
     * transcript; returns the attack's result, one line.
     */
    private String run(Scheme scheme, Model m, String id, int[] input, int max, int[] reference, Path file, ShadowDecoder shadow,
                       PrintStream out) throws Exception {
        var tok = m.tokenizer();
        List<WeightsServer> weightsServers = new ArrayList<>();
        List<TcpServer> servers = new ArrayList<>();
        List<Channel> channels = new ArrayList<>();
        int[] answer;
        try (var writer = new TranscriptWriter(file, id, ModelDims.of(m.config()))) {
            try {
                for (int i = 0; i < scheme.servers(); i++) {
                    weightsServers.add(new WeightsServer(id, m.config(), m.linear(), m.node(), i == 0 ? writer : null));
                    // The demo's own server: its connection log would only interleave with what the demo shows.
                    servers.add(TcpServer.start(weightsServers.getLast(), "127.0.0.1", 0, null, ServerLimits.defaults(), line -> {}));
                    channels.add(TcpChannel.connect("127.0.0.1", servers.getLast().port(), null, Duration.ofSeconds(60)));
                }
                try (TrustedNode node = TrustedNodes.open(scheme, m, id, channels); var session = node.session()) {
                    out.printf("== %s (%s): weights server%s on 127.0.0.1:%s over TCP%n", scheme.name(), scheme.describe(),
                            servers.size() == 1 ? "" : "s", String.join(", ", servers.stream().map(s -> "" + s.port()).toList()));
                    out.println(node.setupReport());
                    answer = session.generate(input, SamplingOptions.userTokens(tok, input), max, Sampler.greedy(), t -> {});
                }
            } finally {
                servers.forEach(TcpServer::close);
                weightsServers.forEach(WeightsServer::close);
            }
        }
        out.println("answer: " + prompt + tok.decode(input[input.length - 1], answer));
        out.printf("same tokens as plain: %s (%d generated)%n", Arrays.equals(reference, answer) ? "yes" : "NO", answer.length);

        Observation o = Transcripts.read(file).getFirst();
        var first = o.exchanges().getFirst();
        out.printf("the weights server's transcript: %s; the first, %s layer %d, carried %s%n", Counts.of(o.exchanges().size(), "call"),
                first.site().label(), first.layer(), Counts.of(first.rows(), "row"));
        float[] truth = first.site() == Site.QKV && first.layer() == 0 ? firstQkvInput(m, input) : null;
        if (truth != null) {
            out.printf("prompt token '%s' after RMSNorm (the true input, first values): %s%n", tok.piece(input[1]), head(truth));
        }
        out.printf("what the weights server received in its place:             %s%n", row(o.receivedRows(first.site(), first.layer()), 1));

        Attack attack = quickestStrongAttack(o, shadow);
        int[] guess = new AttackLab(m, null).reconstruct(attack, o).prompt();
        int hits = 0;
        for (int i = 0; i < guess.length; i++) if (guess[i] == input[i + 1]) hits++;
        String recovered = String.format(Locale.ROOT, "%d of %s (%.0f%%)", hits, Counts.of(guess.length, "prompt token"),
                100.0 * hits / guess.length);
        out.printf("%s attack on the transcript recovers %s: \"%s\"%n", attack.name(), recovered, tok.decode(guess).replace("\n", "\\n"));
        if (scheme.warning() != null) out.println("veil: warning: " + scheme.warning());
        return String.format(Locale.ROOT, "%-10s %-16s recovers %s", scheme.name(), attack.name(), recovered);
    }

    /**
     * The quickest attack that the lab finds strong against what this server saw: null-space matching where the
     * server holds public bases, embedding inversion on a decoder stack's input, else vocabulary matching.
     */
    static Attack quickestStrongAttack(Observation o, ShadowDecoder shadow) {
        var first = o.exchanges().getFirst();
        if (first.site() == Site.DECODER_STACK) return new EmbeddingInversionAttack(shadow);
        if (o.base(Site.QKV, 0) != null) return new NullSpaceProjectionAttack(shadow, Site.QKV, 0);
        return new VocabularyMatchingAttack(shadow, Site.QKV, 0, VocabularyMatchingAttack.Distance.L2, View.RAW);
    }

    /** Layer 0's QKV input for the first prompt token after BOS, from the plain engine: what the server would see unprotected. */
    private static float[] firstQkvInput(Model m, int[] input) {
        int dim = m.config().dim();
        float[][] row = new float[1][];
        var plain = new LocalLinearOps(m.config(), m.linear());
        LinearOps recording = (p, layer, x, n, o) -> {
            if (p == Projection.QKV && layer == 0 && row[0] == null) row[0] = Arrays.copyOfRange(x, dim, 2 * dim);
            plain.apply(p, layer, x, n, o);
        };
        new Forward(m.config(), m.node(), recording).forward(input, new KVCache(m.config(), input.length), false);
        return row[0];
    }

    private static String head(float[] v) {
        var sb = new StringBuilder("[");
        for (int i = 0; i < 6; i++) sb.append(String.format(Locale.ROOT, "%s%8.4f", i == 0 ? "" : ", ", v[i]));
        return sb.append(", ...]").toString();
    }

    private static String row(Rows rows, int r) {
        int cols = rows.cols();
        return switch (rows) {
            case Rows.Floats f -> head(Arrays.copyOfRange(f.data(), r * cols, (r + 1) * cols));
            case Rows.RingElements e -> {
                var sb = new StringBuilder("[");
                for (int i = 0; i < 3; i++) sb.append(i == 0 ? "" : ", ").append(e.data()[r * cols + i]);
                yield sb.append(", ...] (elements of Z_2^").append(e.ring().bits).append(')').toString();
            }
        };
    }

    static Path sharedStories() {
        String root = System.getProperty("veil.shared", System.getenv().getOrDefault("VEIL_SHARED", "../shared"));
        Path p = Path.of(root, "models", "stories260K", "stories260K.bin");
        if (!Files.isRegularFile(p)) throw new IllegalArgumentException("no --model given and the shared stories260K is not at " + p);
        return p;
    }
}
