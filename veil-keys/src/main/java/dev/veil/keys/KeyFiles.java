package dev.veil.keys;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;

/**
 * The files of one role's TLS identity, as {@code --tls-dir} reads them: {@value #IDENTITY} (PKCS#12: the
 * private key with its certificate and the CA's), {@value #TRUST} (PKCS#12: the CA certificate, the only one
 * the role trusts) and {@value #CERTIFICATE} (the role's certificate in PEM, public). Files are written
 * owner-only.
 */
public final class KeyFiles {
    public static final String IDENTITY = "identity.p12", TRUST = "trust.p12", CERTIFICATE = "certificate.pem";
    /** The key store password file {@code veil keys} writes when it chose the password itself. */
    public static final String PASSWORD = "password";

    private KeyFiles() {}

    public static void write(Path dir, PrivateKey key, X509Certificate certificate, X509Certificate ca, char[] password)
            throws IOException {
        Files.createDirectories(dir);
        try {
            var identity = KeyStore.getInstance("PKCS12");
            identity.load(null, null);
            identity.setKeyEntry("veil", key, password, new Certificate[] {certificate, ca});
            store(identity, dir.resolve(IDENTITY), password);
            var trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            trust.setCertificateEntry("veil-ca", ca);
            store(trust, dir.resolve(TRUST), password);
            ownerOnly(dir.resolve(CERTIFICATE), pem(certificate));
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot write key stores in " + dir + ": " + e.getMessage(), e);
        }
    }

    /** A certificate in PEM. */
    public static String pem(X509Certificate c) throws GeneralSecurityException {
        var base64 = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII));
        return "-----BEGIN CERTIFICATE-----\n" + base64.encodeToString(c.getEncoded())
                + "\n-----END CERTIFICATE-----\n";
    }

    /** Writes {@code text} to a file only its owner may read (where the file system has POSIX permissions). */
    public static void ownerOnly(Path file, String text) throws IOException {
        create(file);
        Files.writeString(file, text, StandardCharsets.UTF_8);
    }

    private static void store(KeyStore ks, Path file, char[] password) throws IOException, GeneralSecurityException {
        create(file);
        try (OutputStream out = Files.newOutputStream(file)) {
            ks.store(out, password);
        }
    }

    private static void create(Path file) throws IOException {
        Files.deleteIfExists(file);
        try {
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (UnsupportedOperationException e) {
            Files.createFile(file);
        }
    }

    /**
     * Writes a fresh CA's certificate and one identity per role under {@code out} (which may exist, empty);
     * with {@code password} null each role gets a random one in its {@code password} file. Returns the roles' directories.
     */
    public static List<Path> writeDeployment(Path out, List<String> names, int days, char[] password)
            throws IOException, GeneralSecurityException {
        Instant now = Instant.now();
        var ca = CertificateAuthority.create("Veil deployment CA", now.minus(Duration.ofMinutes(5)), Duration.ofDays(days));
        Files.createDirectories(out);
        ownerOnly(out.resolve("ca.pem"), pem(ca.certificate()));
        List<Path> dirs = new ArrayList<>();
        for (Role role : Role.values()) {
            var keys = CertificateAuthority.newKeyPair();
            var cert = ca.issue(role, keys.getPublic(), names, now.minus(Duration.ofMinutes(5)), now.plus(Duration.ofDays(days)));
            Path dir = out.resolve(role.id);
            char[] p = password != null ? password : random();
            write(dir, keys.getPrivate(), cert, ca.certificate(), p);
            if (password == null) ownerOnly(dir.resolve(PASSWORD), new String(p) + "\n");
            dirs.add(dir);
        }
        return dirs;
    }

    private static char[] random() {
        byte[] b = new byte[18];
        new SecureRandom().nextBytes(b);
        return HexFormat.of().formatHex(b).toCharArray();
    }
}
