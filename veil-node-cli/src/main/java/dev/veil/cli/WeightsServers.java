package dev.veil.cli;

import dev.veil.node.Replicas;
import dev.veil.node.Scheme;
import dev.veil.protocol.ModelDims;
import dev.veil.protocol.transport.Channel;
import dev.veil.protocol.transport.TcpChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLContext;
import picocli.CommandLine.Option;

/**
 * Where a node's weights servers are (node, generate, serve): each role's replicas of one model, the per-call
 * deadline, and how long a failed replica is left alone. Each role becomes one {@link Replicas}: a call that fails
 * or misses the deadline runs again, afresh, on the next replica (docs/hardening.md, "Replica failover").
 */
final class WeightsServers {
    @Option(names = "--weights-server", paramLabel = "HOST:PORT", split = ",",
            description = "a weights server; several (repeated or comma-separated) are replicas of one model: a call that fails or misses "
                    + "--timeout runs again, afresh, on the next (shares: server A's replicas); oip://HOST:PORT or oips://HOST:PORT "
                    + "(mutual TLS with --tls-dir) for a server of the Open Inference Protocol v2 (docs/oip.md)")
    List<String> a = new ArrayList<>();

    @Option(names = "--weights-server-b", paramLabel = "HOST:PORT", split = ",",
            description = "shares: the second weights server (B), run by a party that does not collude with A; several are B's replicas")
    List<String> b = new ArrayList<>();

    @Option(names = "--timeout", defaultValue = "60",
            description = "seconds one call may take before its weights server is treated as dead and the call moves to another replica "
                    + "(default: ${DEFAULT-VALUE})")
    int timeout;

    @Option(names = "--replica-backoff", defaultValue = "30",
            description = "seconds a failed replica gets no call before it is dialled again (default: ${DEFAULT-VALUE}); one that failed "
                    + "the node's checks gets none again")
    int backoff;

    boolean given() {
        return !a.isEmpty() || !b.isEmpty();
    }

    /** The addresses, for a startup line. */
    String describe() {
        return String.join(", ", a) + (b.isEmpty() ? "" : "; B: " + String.join(", ", b));
    }

    /** Checks the options for {@code scheme} before anything is loaded or dialled. */
    void check(Scheme scheme) {
        if (timeout < 1) throw new IllegalArgumentException("--timeout must be at least 1 second");
        if (backoff < 0) throw new IllegalArgumentException("--replica-backoff must be 0 or more seconds");
        if (scheme.servers() < 1) throw new IllegalArgumentException(scheme.name() + " runs no weights server: drop --weights-server");
        if (a.isEmpty()) throw new IllegalArgumentException("--weights-server-b needs --weights-server");
        if (scheme.servers() == 2 && b.isEmpty()) {
            throw new IllegalArgumentException(scheme.name() + " needs two weights servers: add --weights-server-b HOST:PORT");
        }
        if (scheme.servers() == 1 && !b.isEmpty()) {
            throw new IllegalArgumentException(scheme.name() + " talks to one weights server: drop --weights-server-b");
        }
        for (String s : a) OipAddress.parse("--weights-server", s, scheme);
        for (String s : b) OipAddress.parse("--weights-server-b", s, scheme);
    }

    /**
     * One channel per role of {@code scheme}, each over that role's replicas, dialled when first needed: over TLS
     * as {@code tls} says, presenting {@code evidence} (may be null) before the greeting.
     */
    List<Channel> open(Scheme scheme, String who, TlsOptions tls, EvidenceOptions evidence) {
        return open(scheme, who, tls, evidence, null);
    }

    /** As above; {@code shape} is the node's model's, which an OIP server (that has no greeting) is checked against. */
    List<Channel> open(Scheme scheme, String who, TlsOptions tls, EvidenceOptions evidence, ModelDims shape) {
        check(scheme);
        List<Channel> roles = new ArrayList<>();
        roles.add(role("--weights-server", a, who, tls, evidence, shape));
        if (scheme.servers() == 2) roles.add(role("--weights-server-b", b, who, tls, evidence, shape));
        return roles;
    }

    private Replicas role(String option, List<String> addresses, String who, TlsOptions tls, EvidenceOptions evidence, ModelDims shape) {
        List<Replicas.Address> out = new ArrayList<>();
        var deadline = Duration.ofSeconds(timeout);
        for (String s : addresses) {
            if (OipAddress.is(s)) {
                out.add(OipAddress.replica(option, s, who, tls, evidence, deadline, shape));
                continue;
            }
            Address address = Address.parse(option, s);
            SSLContext context = tls.context(who, address.host(), "weights-server"); // refuses plaintext beyond loopback now
            out.add(new Replicas.Address(address.host() + ":" + address.port(), () -> {
                var channel = TcpChannel.connect(address.host(), address.port(), context, deadline);
                try {
                    if (evidence != null) evidence.present(channel); // before HELLO: an attesting server answers nothing else first
                } catch (RuntimeException e) {
                    channel.close();
                    throw e;
                }
                return channel;
            }));
        }
        return new Replicas(out, Duration.ofSeconds(backoff), line -> System.err.println("veil " + who + ": " + line));
    }

    /** HOST:PORT of a weights server, checked before anything connects. */
    record Address(String host, int port) {
        static Address parse(String option, String hostPort) {
            int colon = hostPort.lastIndexOf(':');
            try {
                if (colon <= 0) throw new NumberFormatException();
                int port = Integer.parseInt(hostPort.substring(colon + 1));
                if (port < 1 || port > 65535) throw new NumberFormatException();
                return new Address(hostPort.substring(0, colon), port);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(option + " must be HOST:PORT, got '" + hostPort + "'");
            }
        }
    }
}
