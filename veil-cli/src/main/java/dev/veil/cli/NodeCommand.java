package dev.veil.cli;

import dev.veil.engine.inference.Generator;
import dev.veil.engine.inference.Sampler;
import dev.veil.engine.model.Model;
import dev.veil.engine.model.ModelLoader;
import dev.veil.engine.model.ModelParts;
import dev.veil.node.remo.RemoNode;
import dev.veil.node.cmif.CmifNode;
import dev.veil.node.otp.OtpNode;
import dev.veil.protocol.transport.TcpChannel;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The trusted node as a process. ReMO: loads only what needs no weight matrices, connects to a weights server,
 * sets up the public bases and generates with every linear layer masked. remo-otp: loads the weight matrices too
 * and masks every call with a one-time pad (docs/otp.md). CMIF: keeps the embedding, final norm
 * and LM head, sanitizes each prompt and lets the server run the decoder layers. One prompt from --prompt, else
 * one per line of standard input, each a new session.
 */
@Command(name = "node", mixinStandardHelpOptions = true,
        description = {"Run the trusted node against a weights server: generate text with every linear",
                "layer outsourced under ReMO masks (--scheme remo), or with a sanitized prompt",
                "and the decoder layers on the server (--scheme cmif --epsilon E)."})
final class NodeCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "GGUF file or llama2.c checkpoint (only embedding, norms and tokenizer are loaded)")
    Path model;

    @Option(names = "--tokenizer", description = "llama2.c tokenizer.bin (default: beside the checkpoint)")
    Path tokenizer;

    @Option(names = "--weights-server", required = true, description = "HOST:PORT of the weights server")
    String address;

    @Option(names = "--model-id", description = "model to ask the server for (default: the model's file name)")
    String modelId;

    @Mixin TlsOptions tlsOptions;
    @Mixin EvidenceOptions evidence;

    @Option(names = "--timeout", defaultValue = "60", description = "seconds to wait for a reply before treating the server as dead (default: ${DEFAULT-VALUE})")
    int timeout;

    @Option(names = "--stdin", description = "read prompts from standard input, one per line (also the default when --prompt is not given)")
    boolean stdin;

    @Option(names = "--scheme", defaultValue = "remo",
            description = {"remo (every linear layer masked), remo-otp (masked with one-time pads; the node loads the weight matrices too:",
                    "docs/otp.md) or cmif (sanitized prompt, decoder layers on the server) (default: ${DEFAULT-VALUE})"})
    String scheme;

    @Mixin SamplingOptions sampling;
    @Mixin RemoOptions remo;
    @Mixin CmifOptions cmif;
    @Mixin OtpOptions otpOptions;

    @Override
    public Integer call() throws Exception {
        var sampler = sampling.sampler();
        int colon = address.lastIndexOf(':');
        if (colon <= 0) throw new IllegalArgumentException("--weights-server must be HOST:PORT, got '" + address + "'");
        String host = address.substring(0, colon);
        int port;
        try {
            port = Integer.parseInt(address.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--weights-server must be HOST:PORT, got '" + address + "'");
        }
        if (timeout < 1) throw new IllegalArgumentException("--timeout must be at least 1 second");
        if (!List.of("remo", "remo-otp", "cmif").contains(scheme)) throw new IllegalArgumentException("unknown scheme '" + scheme + "' (remo, remo-otp, cmif)");
        // CMIF's node also holds the LM head, remo-otp's every weight matrix; ReMO's holds no weight matrix at all.
        Model m = ModelLoader.load(model, tokenizer, scheme.equals("remo") ? ModelParts.NODE : ModelParts.ALL);
        var sanitizer = scheme.equals("cmif") ? cmif.sanitizer(m) : null;
        var tls = tlsOptions.context("node", host, "weights-server");
        evidence.provider(); // measure and make keys before connecting: a nonce is short-lived
        var channel = TcpChannel.connect(host, port, tls, Duration.ofSeconds(timeout));
        evidence.present(channel); // before HELLO: an attesting weights server answers nothing else first
        String id = modelId != null ? modelId : model.getFileName().toString();
        if (sanitizer != null) return runCmif(CmifNode.connect(m, id, channel, sanitizer), sampler);
        if (scheme.equals("remo-otp")) return runOtp(OtpNode.connect(m, id, channel, otpOptions.config(remo.ringFallback())), m);
        try (var node = RemoNode.connect(m, id, channel, remo.config())) {
            RemoReport.setup(System.err, node, remo.describe());
            var out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true, StandardCharsets.UTF_8);
            int tokens = 0;
            long t0 = System.nanoTime();
            if (!stdin && !sampling.prompt.isEmpty()) {
                tokens += session(m, node.generator(), sampling.prompt, sampler, out);
            } else {
                var in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
                for (String line; (line = in.readLine()) != null; ) tokens += session(m, node.generator(), line, sampling.sampler(), out);
            }
            double s = (System.nanoTime() - t0) / 1e9;
            System.err.printf("[%d tokens in %.2f s, %.1f tokens/s]%n", tokens, s, tokens / s);
            RemoReport.calls(System.err, node, tokens);
        }
        return 0;
    }

    private int runOtp(OtpNode node, Model m) throws IOException {
        try (node) {
            OtpReport.setup(System.err, node);
            var out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true, StandardCharsets.UTF_8);
            int tokens = 0;
            long t0 = System.nanoTime();
            if (!stdin && !sampling.prompt.isEmpty()) {
                tokens += session(m, node.generator(), sampling.prompt, sampling.sampler(), out);
            } else {
                var in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
                for (String line; (line = in.readLine()) != null; ) tokens += session(m, node.generator(), line, sampling.sampler(), out);
            }
            double s = (System.nanoTime() - t0) / 1e9;
            System.err.printf("[%d tokens in %.2f s, %.1f tokens/s]%n", tokens, s, tokens / s);
            OtpReport.calls(System.err, node, tokens);
        }
        return 0;
    }

    private int runCmif(CmifNode node, Sampler sampler) throws IOException {
        try (node) {
            System.err.println("veil node: CMIF, decoder layers on the weights server; sanitizer " + cmif.describe());
            var out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true, StandardCharsets.UTF_8);
            if (!stdin && !sampling.prompt.isEmpty()) {
                cmifRequest(node, sampling.prompt, sampler, out);
            } else {
                var in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
                for (String line; (line = in.readLine()) != null; ) cmifRequest(node, line, sampling.sampler(), out);
            }
        }
        return 0;
    }

    private void cmifRequest(CmifNode node, String prompt, Sampler sampler, PrintStream out) {
        var tok = node.model().tokenizer();
        int[] input = SamplingOptions.input(tok, prompt);
        var stream = new TextStream(tok, input[input.length - 1], out);
        var result = node.generate(input, SamplingOptions.userTokens(tok, input), sampling.maxTokens, sampler, stream::accept);
        stream.finish();
        CmifReport.request(System.err, tok, input, result);
    }

    private int session(Model m, Generator generator, String prompt, Sampler sampler, PrintStream out) {
        var tok = m.tokenizer();
        int[] input = SamplingOptions.input(tok, prompt);
        var stream = new TextStream(tok, input[input.length - 1], out);
        int[] generated = generator.generate(input, sampling.maxTokens, sampler, stream::accept);
        stream.finish();
        return input.length + generated.length;
    }
}
