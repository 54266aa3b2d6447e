package dev.veil.cli;

import dev.veil.engine.inference.Generator;
import dev.veil.engine.inference.LinearOps;
import dev.veil.engine.inference.Projection;
import dev.veil.engine.model.Model;
import dev.veil.engine.model.ModelLoader;
import dev.veil.node.remo.RemoNode;
import dev.veil.protocol.ModelDims;
import dev.veil.protocol.Rows;
import dev.veil.protocol.transcript.TranscriptReader;
import dev.veil.protocol.transcript.TranscriptWriter;
import dev.veil.protocol.transport.TcpChannel;
import dev.veil.protocol.transport.TcpServer;
import dev.veil.weights.WeightsServer;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Talaria end to end in one process, over a real loopback socket: the plain engine and ReMO generate side by
 * side, then the weights server's transcript shows what it received for the first prompt token.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Plain vs. ReMO over loopback TCP on one prompt: same text, and what the weights server saw.")
final class DemoCommand implements Callable<Integer> {
    @Option(names = "--model", description = "GGUF file or llama2.c checkpoint (default: the shared stories260K)")
    Path model;

    @Option(names = "--tokenizer", description = "llama2.c tokenizer.bin (default: beside the checkpoint)")
    Path tokenizer;

    @Option(names = "--prompt", defaultValue = "Once upon a time, there was a", description = "prompt text")
    String prompt;

    @Option(names = "--max-tokens", defaultValue = "60", description = "tokens to generate (greedy)")
    int maxTokens;

    @Option(names = "--transcript", description = "keep the weights server's transcript in this file")
    Path transcript;

    @Mixin RemoOptions remo;

    @Override
    public Integer call() throws Exception {
        if (model == null) model = sharedStories();
        Model m = ModelLoader.load(model, tokenizer);
        var tok = m.tokenizer();
        int[] input = SamplingOptions.input(tok, prompt);
        var out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true, StandardCharsets.UTF_8);

        long t0 = System.nanoTime();
        int[] plain = new Generator(m, remo.numeric().plain(m.config(), m.linear())).generate(input, maxTokens, dev.veil.engine.inference.Sampler.greedy(), t -> {});
        double plainSeconds = (System.nanoTime() - t0) / 1e9;

        Path file = transcript != null ? transcript : Files.createTempFile("veil-demo", ".transcript");
        int[] masked;
        float[] trueRow;
        double remoSeconds;
        String id = model.getFileName().toString();
        try (var writer = new TranscriptWriter(file, id, ModelDims.of(m.config()));
             var weights = new WeightsServer(id, m.config(), m.linear(), writer);
             var server = TcpServer.start(weights, "127.0.0.1", 0, null);
             var node = RemoNode.connect(m, id, TcpChannel.connect("127.0.0.1", server.port(), null, Duration.ofSeconds(60)), remo.config())) {
            out.printf("weights server on 127.0.0.1:%d; trusted node connected (%s)%n", server.port(), remo.describe());
            RemoReport.setup(out, node, remo.describe());
            var firstQkv = new float[1][];
            LinearOps ops = node.linear(), recording = (p, layer, x, n, o) -> {
                if (p == Projection.QKV && layer == 0 && firstQkv[0] == null && n > 1) firstQkv[0] = Arrays.copyOfRange(x, m.config().dim(), 2 * m.config().dim());
                ops.apply(p, layer, x, n, o);
            };
            t0 = System.nanoTime();
            masked = new Generator(m, recording).generate(input, maxTokens, dev.veil.engine.inference.Sampler.greedy(), t -> {});
            remoSeconds = (System.nanoTime() - t0) / 1e9;
            trueRow = firstQkv[0];
            RemoReport.calls(out, node, input.length + masked.length);
        }

        out.println();
        out.println("plain: " + prompt + tok.decode(input[input.length - 1], plain));
        out.println("remo:  " + prompt + tok.decode(input[input.length - 1], masked));
        out.printf(Locale.ROOT, "same tokens: %s (%d generated); plain %.1f tokens/s, remo over loopback TCP %.1f tokens/s%n",
                Arrays.equals(plain, masked) ? "yes" : "NO", masked.length,
                (input.length + plain.length) / plainSeconds, (input.length + masked.length) / remoSeconds);

        var t = TranscriptReader.readAll(file);
        var first = t.linearCalls().getFirst();
        out.printf("%nthe weights server's transcript: %d calls, %d public bases; its first call was %s on %d rows.%n",
                t.linearCalls().size(), t.publicBases().size(), first.matrix(), first.input().rows());
        if (trueRow != null) {
            out.printf("prompt token '%s' after RMSNorm (the true input, first values): %s%n", tok.piece(input[1]), head(trueRow));
            out.printf("what the weights server received in its place:             %s%n", receivedHead(first.input(), trueRow.length));
        }
        if (transcript == null) Files.deleteIfExists(file);
        else out.println("transcript kept in " + transcript);
        return 0;
    }

    private static String head(float[] v) {
        var sb = new StringBuilder("[");
        for (int i = 0; i < 6; i++) sb.append(String.format(Locale.ROOT, "%s%8.4f", i == 0 ? "" : ", ", v[i]));
        return sb.append(", ...]").toString();
    }

    private static String receivedHead(Rows rows, int cols) {
        return switch (rows) {
            case Rows.Floats f -> head(Arrays.copyOfRange(f.data(), cols, 2 * cols));
            case Rows.RingElements e -> {
                var sb = new StringBuilder("[");
                for (int i = 0; i < 3; i++) sb.append(i == 0 ? "" : ", ").append(e.data()[cols + i]);
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
