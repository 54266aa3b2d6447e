package dev.veil.cli;

import dev.veil.node.Replicas;
import dev.veil.node.Scheme;
import dev.veil.protocol.ModelDims;
import dev.veil.protocol.transport.OipChannel;
import java.time.Duration;
import java.util.Locale;

/**
 * A weights server that speaks the Open Inference Protocol v2 (docs/oip.md): {@code oip://HOST:PORT} (plaintext HTTP,
 * loopback only unless --insecure-plaintext) or {@code oips://HOST:PORT} (HTTPS over mutual TLS 1.3 with the node's
 * --tls-dir). What the protocol cannot carry is refused here, before anything is loaded: attestation (the server cannot
 * check it, so it must be fenced by mutual TLS at its ingress) and CMIF's stateful decoder stack.
 */
final class OipAddress {
    private OipAddress() {}

    static boolean is(String address) {
        String s = address.toLowerCase(Locale.ROOT);
        return s.startsWith("oip://") || s.startsWith("oips://");
    }

    private static boolean secure(String address) {
        return address.toLowerCase(Locale.ROOT).startsWith("oips://");
    }

    /** Checks {@code address} (either protocol) for {@code scheme}. */
    static void parse(String option, String address, Scheme scheme) {
        if (!is(address)) {
            WeightsServers.Address.parse(option, address);
            return;
        }
        hostPort(option, address);
        if (scheme.name().equals("cmif")) {
            throw new IllegalArgumentException("cmif runs its decoder stack on the weights server, which the Open Inference Protocol "
                    + "cannot carry (stateful, a KV cache per session): give " + option + " HOST:PORT (Veil's protocol), not " + address);
        }
    }

    private static WeightsServers.Address hostPort(String option, String address) {
        String rest = address.substring(address.indexOf("://") + 3);
        if (rest.endsWith("/")) rest = rest.substring(0, rest.length() - 1);
        if (rest.startsWith("[") && rest.contains("]:")) rest = rest.substring(1).replace("]:", ":");
        try {
            return WeightsServers.Address.parse(option, rest);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(option + " must be oip://HOST:PORT or oips://HOST:PORT, got '" + address + "'");
        }
    }

    /** One replica over the Open Inference Protocol. */
    static Replicas.Address replica(String option, String address, String who, TlsOptions tls, EvidenceOptions evidence,
                                    Duration deadline, ModelDims shape) {
        var hp = hostPort(option, address);
        if (evidence != null && evidence.provider() != null) {
            throw new IllegalArgumentException("--attestation cannot be presented to " + address + ": the Open Inference Protocol has no "
                    + "attestation (docs/oip.md); fence that server with mutual TLS (oips://) and drop --attestation, or use Veil's "
                    + "protocol");
        }
        if (shape == null) throw new IllegalStateException("an OIP weights server is checked against the node's model shape, not given");
        javax.net.ssl.SSLContext context;
        if (secure(address)) {
            if (tls.dir == null) {
                throw new IllegalArgumentException(address + " is HTTPS over mutual TLS: give --tls-dir DIR (made by `veil keys`)");
            }
            context = tls.context(who, hp.host(), "weights-server");
        } else {
            if (tls.dir != null) {
                throw new IllegalArgumentException(address + " is plaintext HTTP: with --tls-dir, use oips://" + hp.host() + ":"
                        + hp.port());
            }
            context = tls.context(who, hp.host(), "weights-server"); // refuses plaintext beyond loopback
        }
        return new Replicas.Address(address, () -> OipChannel.connect(hp.host(), hp.port(), context, deadline, shape));
    }
}
