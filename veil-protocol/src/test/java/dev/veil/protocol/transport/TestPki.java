package dev.veil.protocol.transport;

import dev.veil.keys.CertificateAuthority;
import dev.veil.keys.KeyFiles;
import dev.veil.keys.Role;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import javax.net.ssl.SSLContext;

/** A deployment's CA and role directories for tests, as veil keys writes them. */
public final class TestPki {
    public static final char[] PASSWORD = "test-password".toCharArray();
    public final CertificateAuthority ca = CertificateAuthority.create("test CA", Instant.now().minusSeconds(60), Duration.ofDays(1));
    private final Path dir;

    public TestPki(Path dir) {
        this.dir = dir;
    }

    /** A role directory with a certificate valid from an hour ago for a day. */
    public Path role(Role role) throws Exception {
        return role(role, role.id, Instant.now().minusSeconds(3600), Instant.now().plus(Duration.ofDays(1)));
    }

    public Path role(Role role, String name, Instant notBefore, Instant notAfter) throws Exception {
        var keys = CertificateAuthority.newKeyPair();
        var cert = ca.issue(role, keys.getPublic(), List.of("localhost", "127.0.0.1"), notBefore, notAfter);
        Path d = dir.resolve(name);
        KeyFiles.write(d, keys.getPrivate(), cert, ca.certificate(), PASSWORD);
        return d;
    }

    public SSLContext context(Role role, Role peer) throws Exception {
        return Tls.context(role(role), PASSWORD, peer.id);
    }
}
