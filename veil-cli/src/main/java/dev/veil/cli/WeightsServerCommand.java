package dev.veil.cli;

import dev.veil.node.Bytes;
import dev.veil.engine.model.Model;
import dev.veil.engine.model.ModelLoader;
import dev.veil.engine.model.ModelParts;
import dev.veil.protocol.Counts;
import dev.veil.protocol.ModelDims;
import dev.veil.protocol.transcript.TranscriptWriter;
import dev.veil.grpc.OipGrpcServer;
import dev.veil.protocol.transport.ByteBudget;
import dev.veil.protocol.transport.ServerLimits;
import dev.veil.protocol.transport.TcpServer;
import dev.veil.weights.MetricsEndpoint;
import dev.veil.weights.OipServer;
import dev.veil.weights.WeightsServer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** The untrusted side of Talaria as a process: loads only the weight matrices and serves masked linear calls. */
@Command(name = "weights-server", mixinStandardHelpOptions = true,
        description = {"Serve a model's linear layers (Q, K, V, O, gate, up, down, LM head) to trusted",
                "nodes over TCP/TLS (ReMO), and its decoder stack with per-session KV caches",
                "(CMIF); runs until stopped."})
final class WeightsServerCommand implements Callable<Integer> {
    @Option(names = "--model",
            description = "GGUF file or llama2.c checkpoint (its weight matrices and layer norms are used); not with --engine onnxruntime, "
                    + "its weight matrices only with --engine routed")
    Path model;

    @Mixin OnnxEngineOptions onnx;

    @Option(names = "--model-id", description = "name nodes must ask for (default: the model's file name)")
    String modelId;

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "address to listen on (default: ${DEFAULT-VALUE})")
    String host;

    @Option(names = "--port", defaultValue = "7070", description = "port to listen on, 0 for any free one (default: ${DEFAULT-VALUE})")
    int port;

    @Mixin TlsOptions tlsOptions;
    @Mixin AttestationOptions attestation;

    @Option(names = "--exit-with", hidden = true, description = "stop when the process with this id ends (a benchmark's child server)")
    Long parent;

    @Option(names = "--transcript", description = "record every call (masked inputs and outputs, public bases) to this file")
    Path transcript;

    @Option(names = "--transcript-max-bytes", defaultValue = "4294967296",
            description = "stop recording, with a logged line, before the transcript passes this size (default: 4 GiB)")
    long transcriptMaxBytes;

    @Option(names = "--metrics-port", description = "serve counters in Prometheus format at http://HOST:PORT/metrics")
    Integer metricsPort;

    @Option(names = "--metrics-host", defaultValue = "127.0.0.1",
            description = "address of the metrics endpoint (default: ${DEFAULT-VALUE})")
    String metricsHost;

    @Option(names = "--max-connections", defaultValue = "256", description = "connections served at once (default: ${DEFAULT-VALUE})")
    int maxConnections;

    @Option(names = "--oip-http-port", description = "also serve the Open Inference Protocol v2 (KServe v2 / Triton HTTP/REST, binary "
            + "tensors) on this port of --host, 0 for any free one: HTTPS over mutual TLS with --tls-dir; it cannot check attestation, "
            + "so not with --attestation-policy (docs/oip.md)")
    Integer oipHttpPort;

    @Option(names = "--oip-port", description = "also serve the Open Inference Protocol v2 over gRPC (KServe v2 / Triton's "
            + "inference.GRPCInferenceService) on this port of --host, 0 for any free one: over mutual TLS with --tls-dir; not with "
            + "--attestation-policy (docs/oip.md)")
    Integer oipPort;

    @Override
    public Integer call() throws Exception {
        attestation.unattestedReason(tlsOptions, host); // refuses a flag combination that drops a check before the model loads
        if ((oipHttpPort != null || oipPort != null) && attestation.policy != null) {
            throw new IllegalArgumentException((oipPort != null ? "--oip-port" : "--oip-http-port")
                    + " cannot check attestation (the Open Inference Protocol has none): its nodes "
                    + "would bypass --attestation-policy; serve it on a weights server with --no-attestation, fenced by mutual TLS");
        }
        var ort = onnx.open(model); // ONNX Runtime on an export (docs/onnx.md), or null for Veil's own engine
        var engine = ort != null ? onnx.engine(ort, model) : null; // with --engine routed, the Java kernels on --model too
        // The weight matrices, and for CMIF's decoder stack the layers' norms (the server keeps nothing else).
        Model m = ort != null ? null : ModelLoader.load(model, null, ModelParts.ALL);
        String id = modelId != null ? modelId : ort != null ? ort.modelId() : model.getFileName().toString();
        var dims = ort != null ? ort.dims() : ModelDims.of(m.config());
        var tls = tlsOptions.context("weights-server", host, "node"); // only nodes' certificates open a connection
        var writer = transcript == null ? null
                : new TranscriptWriter(transcript, id, dims, transcriptMaxBytes, line -> System.err.println("veil weights-server: "
                        + line));
        var limits = ServerLimits.defaults().withMaxConnections(maxConnections);
        var weights = ort != null ? new WeightsServer(id, dims, engine, writer, limits.maxPayload())
                : new WeightsServer(id, m.config(), m.linear(), m.node(), writer, limits.maxPayload());
        var gate = attestation.gate(weights, tlsOptions, host, "weights-server");
        // One budget for all ports: the server holds at most limits.totalBytes() whichever protocol its peers speak.
        var budget = ByteBudget.of(limits, 1 + (oipHttpPort == null ? 0 : 1) + (oipPort == null ? 0 : 1));
        java.util.function.Consumer<String> log = line -> System.err.println("veil weights-server: " + line);
        var server = TcpServer.start(gate.service(), host, port, tls, limits, budget, log);
        var oip = oipHttpPort == null ? null : OipServer.start(weights, host, oipHttpPort, tls, limits, budget, log);
        var grpc = oipPort == null ? null : OipGrpcServer.start(weights, host, oipPort, tls, limits, budget, log);
        var metrics = metricsPort == null ? null : new MetricsEndpoint(metricsHost, metricsPort, server.metrics(), weights, gate.metrics(),
                text -> {
                    if (oip != null) oip.prometheus(text);
                    if (grpc != null) grpc.prometheus(text);
                });
        var stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            if (metrics != null) metrics.close();
            if (oip != null) oip.close();
            if (grpc != null) grpc.close();
            server.close();
            weights.close();
            long[] s = weights.stats();
            System.err.printf(Locale.ROOT, "veil weights-server: stopped after %s in %s (%s)%n", Counts.of(s[1], "call"),
                    Counts.of(s[0], "batch"), Counts.of(s[2], "row"));
            try {
                if (writer != null) writer.close();
            } catch (IOException e) {
                System.err.println("veil weights-server: transcript: " + e.getMessage());
            }
            stopped.countDown();
        }));
        // One line that says where and what: scripts (and tests) read HOST:PORT from it, as "--port 0" picks a free port.
        System.err.printf(Locale.ROOT, "veil weights-server: listening on %s:%d, serving '%s' (%s, dim %d, %s of weight matrices)%s%s%n",
                host.contains(":") ? "[" + host + "]" : host, server.port(), id, Counts.of(dims.layers(), "layer"), dims.dim(),
                Bytes.format(ort != null ? onnx.bytes() : m.linear().byteSize()),
                (ort != null ? ", on " + engine.describe() : "") + (tls == null ? "" : " over mutual TLS 1.3") + gate.description(),
                writer == null ? "" : ", recording to " + transcript);
        if (oip != null) {
            System.err.printf(Locale.ROOT, "veil weights-server: Open Inference Protocol v2 on %s://%s:%d/v2 (no attestation: %s)%n",
                    tls == null ? "http" : "https", host.contains(":") ? "[" + host + "]" : host, oip.port(),
                    tls != null ? "mutual TLS, node certificates only" : TlsOptions.loopback(host) ? "loopback only"
                            : "PLAINTEXT beyond loopback, any peer is served");
        }
        if (grpc != null) {
            System.err.printf(Locale.ROOT, "veil weights-server: Open Inference Protocol v2 over gRPC on %s:%d (no attestation: %s)%n",
                    host.contains(":") ? "[" + host + "]" : host, grpc.port(),
                    tls != null ? "mutual TLS, node certificates only" : TlsOptions.loopback(host) ? "loopback only"
                            : "PLAINTEXT beyond loopback, any peer is served");
        }
        if (metrics != null) System.err.printf("veil weights-server: metrics on http://%s:%d/metrics%n", metricsHost, metrics.port());
        if (parent != null) {
            ProcessHandle.of(parent).ifPresentOrElse(p -> p.onExit().thenRun(() -> System.exit(0)), () -> System.exit(0));
        }
        stopped.await();
        return 0;
    }
}
