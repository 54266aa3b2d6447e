package dev.veil.proxy;

import dev.veil.protocol.transport.Tls;
import dev.veil.trust.AttestationException;
import dev.veil.trust.AttestationVerifier;
import dev.veil.trust.EvidenceJson;
import dev.veil.trust.ReportData;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.HexFormat;
import java.util.function.Consumer;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLPeerUnverifiedException;

/**
 * The client's trust decision about one node: fetch its evidence for a fresh nonce over a mutual TLS connection,
 * verify it against the policy and the key of that very connection, and pin that key. Every request is then
 * sent by a client whose TLS check accepts only the pinned key, so no byte of a prompt goes to a connection
 * whose key was not attested. When the node presents another key, {@link #reverify} attests it before anything
 * is forwarded.
 */
public final class AttestedNode {
    /** What was verified, and the client that talks only to the pinned key. */
    public record Pinned(PublicKey key, String summary, HttpClient client) {
        public String keyHash() {
            return HexFormat.of().formatHex(ReportData.keyHash(key));
        }
    }

    /** The pinned key's check failed: the node presents another key (or someone else answers). */
    static final class KeyChanged extends CertificateException {
        KeyChanged() {
            super("the node's TLS key is not the attested, pinned one");
        }
    }

    private final URI node;
    private final Path tlsDir;
    private final char[] password;
    private final AttestationVerifier verifier;
    private final Duration timeout;
    private final Consumer<String> log;
    private final SecureRandom random = new SecureRandom();
    private volatile Pinned pinned;

    /** @param node the node's base URL, {@code https://host:port} */
    public AttestedNode(URI node, Path tlsDir, char[] password, AttestationVerifier verifier, Duration timeout, Consumer<String> log) {
        if (!"https".equals(node.getScheme()) || node.getHost() == null) {
            throw new IllegalArgumentException("the node's URL must be https://HOST:PORT (the evidence binds its TLS key), got '" + node
                    + "'");
        }
        this.node = URI.create("https://" + node.getRawAuthority());
        this.tlsDir = tlsDir;
        this.password = password.clone();
        this.verifier = verifier;
        this.timeout = timeout;
        this.log = log;
        Tls.context(tlsDir, password, "node"); // a bad directory or password fails here, before anything connects
    }

    public URI uri() {
        return node;
    }

    /** The pinned node, or null before the first verification. */
    public Pinned pinned() {
        return pinned;
    }

    /**
     * Verifies the node now and pins its key.
     *
     * @throws AttestationException with a one-line reason when the node cannot be reached or fails the policy
     */
    public synchronized Pinned verify() {
        byte[] nonce = new byte[ReportData.NONCE_BYTES];
        random.nextBytes(nonce);
        // A fresh context per attempt: no TLS session resumed from an earlier connection, so the peer certificate
        // below is the one this handshake presented.
        try (HttpClient once = client(Tls.context(tlsDir, password, "node"))) {
            var request = HttpRequest.newBuilder(node.resolve("/v1/attestation?nonce=" + HexFormat.of().formatHex(nonce)))
                    .timeout(timeout).GET().build();
            HttpResponse<InputStream> r = once.send(request, HttpResponse.BodyHandlers.ofInputStream());
            byte[] body;
            try (InputStream in = r.body()) {
                body = in.readNBytes(EvidenceJson.MAX_BYTES + 1);
            }
            if (r.statusCode() != 200) {
                throw new AttestationException("the node answered GET /v1/attestation with HTTP " + r.statusCode() + ": "
                        + oneLine(new String(body, StandardCharsets.UTF_8)));
            }
            var session = r.sslSession().orElseThrow(() -> new AttestationException("the node did not answer over TLS"));
            PublicKey key = session.getPeerCertificates()[0].getPublicKey();
            var verified = verifier.verify(EvidenceJson.read(body), key, nonce);
            Pinned old = pinned;
            pinned = new Pinned(key, verified.summary(), client(Tls.context(tlsDir, password, "node", leaf -> pin(leaf, key))));
            if (old != null) old.client().shutdown(); // requests under way finish on their own connections
            log.accept("veil proxy: " + node + " attested: " + pinned.summary() + "; pinned TLS key sha256:" + pinned.keyHash());
            return pinned;
        } catch (SSLPeerUnverifiedException e) {
            throw new AttestationException("the node presented no certificate");
        } catch (IOException e) {
            throw new AttestationException("cannot fetch evidence from " + node + ": " + VerifyingProxy.reason(e));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AttestationException("interrupted while fetching evidence");
        }
    }

    /**
     * The node presented a key other than {@code seen}'s pinned one: verify again, unless another request did
     * so meanwhile.
     */
    public synchronized Pinned reverify(Pinned seen) {
        if (pinned != seen) return pinned;
        log.accept("veil proxy: " + node + " presents a TLS key other than the pinned sha256:" + seen.keyHash() + "; verifying it");
        return verify();
    }

    private static void pin(X509Certificate leaf, PublicKey key) throws CertificateException {
        if (!leaf.getPublicKey().equals(key)) throw new KeyChanged();
    }

    private HttpClient client(SSLContext tls) {
        var p = tls.getDefaultSSLParameters();
        p.setProtocols(Tls.PROTOCOLS);
        p.setCipherSuites(Tls.SUITES);
        p.setEndpointIdentificationAlgorithm("HTTPS"); // the node's certificate must name the host dialled
        return HttpClient.newBuilder().sslContext(tls).sslParameters(p).version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(timeout).followRedirects(HttpClient.Redirect.NEVER).build();
    }

    static String oneLine(String s) {
        String line = s.strip().lines().findFirst().orElse("");
        return line.length() > 200 ? line.substring(0, 200) + "..." : line;
    }
}
