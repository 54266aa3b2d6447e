package dev.veil.cli;

import dev.veil.engine.model.Model;
import dev.veil.engine.model.ModelLoader;
import dev.veil.node.Scheme;
import dev.veil.node.TrustedNode;
import dev.veil.protocol.Counts;
import dev.veil.protocol.transport.Channel;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The trusted node as a process: loads what its scheme keeps on the node (remo: no weight matrix at all),
 * connects to the weights server, and generates for one prompt from --prompt, else one per line of standard
 * input, each a session of its own.
 */
@Command(name = "node", mixinStandardHelpOptions = true,
        description = "Run the trusted node against its weights server(s) and generate text through a protection scheme.")
final class NodeCommand implements Callable<Integer> {
    @Option(names = "--model", required = true,
            description = "GGUF file or llama2.c checkpoint (only what the scheme keeps on the node is loaded)")
    Path model;

    @Option(names = "--tokenizer", description = "llama2.c tokenizer.bin (default: beside the checkpoint)")
    Path tokenizer;

    @Mixin WeightsServers weightsServers;

    @Option(names = "--model-id", description = "model to ask the server for (default: the model's file name)")
    String modelId;

    @Mixin TlsOptions tlsOptions;
    @Mixin EvidenceOptions evidence;

    @Option(names = "--stdin", description = "read prompts from standard input, one per line (also the default when --prompt is not given)")
    boolean stdin;

    @Mixin SamplingOptions sampling;
    @Mixin SchemeOptions schemes;
    @Mixin EngineOptions engine;

    @Override
    public Integer call() throws Exception {
        sampling.sampler();
        Scheme scheme = schemes.scheme();
        if (scheme.servers() < 1) throw new IllegalArgumentException("veil node runs a scheme with weights servers; "
                + scheme.name() + " has none");
        if (!weightsServers.given()) throw new IllegalArgumentException("veil node needs --weights-server HOST:PORT");
        weightsServers.check(scheme);
        TrustedNodes.warn(scheme, System.err);
        Model m = ModelLoader.load(model, tokenizer, scheme.parts());
        evidence.provider(); // measure and make keys before connecting: a nonce is short-lived
        List<Channel> servers = weightsServers.open(scheme, "node", tlsOptions, evidence, dev.veil.protocol.ModelDims.of(m.config()));
        String id = modelId != null ? modelId : model.getFileName().toString();
        try (TrustedNode node = TrustedNodes.open(scheme, m, id, servers)) {
            System.err.println("veil node: " + node.setupReport());
            var out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
            long tokens = 0, t0 = System.nanoTime();
            if (!stdin && !sampling.prompt.isEmpty()) {
                tokens += request(node, sampling.prompt, out);
            } else {
                System.err.println("veil node: reading prompts from standard input, one per line (end with Ctrl-D)");
                var in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
                for (String line; (line = in.readLine()) != null; ) tokens += request(node, line, out);
            }
            double s = (System.nanoTime() - t0) / 1e9;
            System.err.printf(Locale.ROOT, "veil node: [%s in %.2f s%s]%n", Counts.of(tokens, "token"), s,
                    tokens > 0 && s > 0 ? String.format(Locale.ROOT, ", %.1f tokens/s", tokens / s) : "");
            String work = node.workReport(tokens);
            if (!work.isEmpty()) System.err.println("veil node: " + work);
            if (scheme.warning() != null) System.err.println("veil: warning: " + scheme.warning());
        }
        return 0;
    }

    /** One prompt, one session: streams the answer to {@code out}; returns the tokens run. */
    private long request(TrustedNode node, String prompt, PrintStream out) {
        var tok = node.model().tokenizer();
        int[] input = SamplingOptions.input(tok, prompt);
        int maxTokens = sampling.fitToContext(input.length, node.model().config().contextLength(), System.err);
        try (var session = node.session()) {
            var stream = new TextStream(tok, input[input.length - 1], out);
            int[] generated = session.generate(input, SamplingOptions.userTokens(tok, input), maxTokens,
                    sampling.sampler(), stream::accept);
            stream.finish();
            TrustedNodes.serverView(session.report(), tok, "veil node: ", System.err);
            return input.length + generated.length;
        }
    }
}
