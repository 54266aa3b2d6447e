package dev.veil.cli;

import dev.veil.protocol.transport.TcpChannel;
import dev.veil.trust.AttestationProvider;
import dev.veil.trust.ConfigfsTsmProvider;
import dev.veil.trust.NodeAttestation;
import dev.veil.trust.Pem;
import dev.veil.trust.SimulatedProvider;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Option;

/** The trusted node's evidence: how it attests itself to the weights server ({@code node}, {@code serve}) and to clients. */
final class EvidenceOptions {
    @Option(names = "--attestation", paramLabel = "KIND", defaultValue = "none",
            description = "evidence to present after the TLS handshake: sev-snp (configfs-tsm), simulated (proves nothing), none (default)")
    String kind;

    @Option(names = "--vcek", paramLabel = "FILE",
            description = "this chip's VCEK or VLEK certificate (PEM or DER, then optionally its ASK) when the host supplies none")
    Path vcek;

    private AttestationProvider provider;
    private String who = "node";

    AttestationProvider provider() {
        return provider("node");
    }

    /**
     * Made once per process: the simulated key and the code measurement stay the same for every connection.
     *
     * @param who the command, for its startup line
     */
    AttestationProvider provider(String who) {
        if (provider != null || kind.equals("none")) return provider;
        this.who = who;
        provider = switch (kind) {
            case "simulated" -> SimulatedProvider.ofRunningCode();
            case "sev-snp" -> new ConfigfsTsmProvider(ConfigfsTsmProvider.DEFAULT_ROOT, operatorChain());
            default -> throw new IllegalArgumentException("unknown --attestation '" + kind + "' (sev-snp, simulated, none)");
        };
        System.err.println("veil " + who + ": attestation: " + provider.describe());
        return provider;
    }

    /** Presents evidence on {@code channel} when asked to; says what the server accepted. */
    void present(TcpChannel channel) {
        var p = provider();
        if (p == null) return;
        String accepted = NodeAttestation.present(channel, channel.localCertificate(), p);
        System.err.println("veil " + who + ": " + channel.peer() + " accepted " + accepted);
    }

    private List<java.security.cert.X509Certificate> operatorChain() {
        if (vcek == null) return List.of();
        try {
            return Pem.certificates(Files.readAllBytes(InputFiles.existing(vcek, "VCEK certificate")));
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read --vcek " + vcek + ": " + e.getMessage(), e);
        }
    }
}
