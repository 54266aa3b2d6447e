package dev.veil.cli;

import dev.veil.proxy.AttestedNode;
import dev.veil.proxy.VerifyingProxy;
import dev.veil.trust.AttestationException;
import dev.veil.trust.AttestationPolicy;
import dev.veil.trust.AttestationVerifier;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The client's verifying proxy ({@code veil-proxy}): attests the node, pins its TLS key, and offers a plain OpenAI
 * endpoint on this machine's loopback interface. Runs until interrupted.
 */
@Command(name = "proxy", mixinStandardHelpOptions = true,
        description = "On the client's machine: verify the node's attestation, pin its TLS key, and offer a plain OpenAI endpoint on "
                + "127.0.0.1 that forwards to it. Refuses, with a one-line reason, a node that fails the policy.")
final class ProxyCommand implements Callable<Integer> {
    @Option(names = "--node", required = true, paramLabel = "URL", description = "the node's veil serve, https://HOST:PORT")
    String node;

    @Option(names = "--policy", required = true, paramLabel = "FILE",
            description = "the attestation policy the node must meet: approved measurements, minimum TCB (docs/trust.md)")
    Path policy;

    @Option(names = "--port", defaultValue = "8081", description = "loopback port of the local endpoint; 0 picks a free one "
            + "(default: ${DEFAULT-VALUE})")
    int port;

    @Option(names = "--allowed-host", paramLabel = "NAME[:PORT]", description = {"a further name local apps reach the proxy at, "
            + "which their Host header may then carry (repeatable; PORT default: --port). Without it only 127.0.0.1, localhost "
            + "and [::1] (docs/serve.md)"})
    List<String> allowedHosts = new ArrayList<>();

    @Option(names = "--allow-simulated-attestation", description = "accept SIMULATED evidence, which proves nothing (development only)")
    boolean allowSimulated;

    @Option(names = "--max-body", defaultValue = "1048576", description = "largest request body in bytes (default: ${DEFAULT-VALUE})")
    int maxBody;

    @Option(names = "--max-requests", defaultValue = "16", description = "requests under way at once; beyond them 429 "
            + "(default: ${DEFAULT-VALUE})")
    int maxRequests;

    @Option(names = "--timeout", defaultValue = "120", description = "seconds to wait for the node's answer to begin "
            + "(default: ${DEFAULT-VALUE})")
    int timeout;

    @Mixin TlsOptions tlsOptions;

    @Override
    public Integer call() throws Exception {
        if (!tlsOptions.tls()) {
            throw new IllegalArgumentException("veil proxy needs --tls-dir DIR (the 'proxy' identity from veil keys): the node's evidence"
                    + " is bound to its TLS key");
        }
        if (!node.startsWith("https://")) {
            throw new IllegalArgumentException("--node must be https://HOST:PORT (the evidence binds the node's TLS key), got '" + node
                    + "'");
        }
        if (tlsOptions.insecurePlaintext) {
            throw new IllegalArgumentException("--insecure-plaintext: the proxy never speaks plaintext to the node");
        }
        if (maxBody < 1024) throw new IllegalArgumentException("--max-body must be at least 1024 bytes");
        if (maxRequests < 1 || timeout < 1) throw new IllegalArgumentException("--max-requests and --timeout must be at least 1");
        var verifier = new AttestationVerifier(AttestationPolicy.load(policy), allowSimulated);
        if (allowSimulated) {
            System.err.println("veil proxy: WARNING: NO ATTESTATION: SIMULATED evidence is accepted (--allow-simulated-attestation), and it"
                    + " proves nothing: any server holding a deployment certificate can read your prompts");
        }
        var attested = new AttestedNode(URI.create(node), tlsOptions.dir, tlsOptions.password(), verifier, Duration.ofSeconds(timeout),
                System.err::println);
        VerifyingProxy proxy;
        try {
            proxy = new VerifyingProxy(attested, maxBody, maxRequests, Duration.ofSeconds(timeout), System.err::println)
                    .allowHosts(allowedHosts).start("127.0.0.1", port);
        } catch (AttestationException e) {
            throw new IllegalArgumentException("proxy: " + attested.uri() + " refused: " + e.getMessage(), e);
        }
        try (proxy) {
            var stop = new CountDownLatch(1);
            Runtime.getRuntime().addShutdownHook(new Thread(stop::countDown));
            System.err.printf("veil proxy: ready on http://127.0.0.1:%d/v1 for local apps, forwarding to %s (%s)%n", proxy.port(),
                    attested.uri(), attested.pinned().summary());
            stop.await();
        }
        return 0;
    }
}
