package dev.veil.cli;

import dev.veil.keys.CertificateAuthority;
import dev.veil.keys.KeyFiles;
import dev.veil.keys.Role;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * A fresh CA and one TLS identity per role, each in its own directory for {@code --tls-dir}. The CA's private
 * key is discarded once the identities are issued (re-run to rotate), and no private key is ever printed.
 */
@Command(name = "keys", mixinStandardHelpOptions = true,
        description = {"Make a deployment's keys: a fresh CA and one mutual-TLS identity per role",
                "(weights-server, node, proxy) in OUT/<role>/ (identity.p12, trust.p12, certificate.pem)."})
final class KeysCommand implements Callable<Integer> {
    @Option(names = "--out", required = true, paramLabel = "DIR", description = "directory to create (must not exist or be empty)")
    Path out;

    @Option(names = "--host", paramLabel = "NAME", description = {"DNS name or IP address the weights server and the node are reached at",
            "(repeatable; default: localhost, 127.0.0.1, ::1)"})
    List<String> hosts = new ArrayList<>();

    @Option(names = "--days", defaultValue = "365", description = "validity of the certificates in days (default: ${DEFAULT-VALUE})")
    int days;

    @Option(names = "--password-file", paramLabel = "FILE",
            description = "key store password (default: $VEIL_TLS_PASSWORD, else a random one per role in OUT/<role>/password)")
    Path passwordFile;

    @Override
    public Integer call() throws IOException, GeneralSecurityException {
        if (days < 1) throw new IllegalArgumentException("--days must be at least 1");
        if (Files.exists(out) && (!Files.isDirectory(out) || Files.list(out).findAny().isPresent())) {
            throw new IllegalArgumentException(out + " exists and is not an empty directory");
        }
        char[] shared = sharedPassword();
        List<String> names = hosts.isEmpty() ? List.of("localhost", "127.0.0.1", "::1") : hosts;
        for (Path dir : write(out, names, days, shared)) {
            String role = dir.getFileName().toString();
            System.out.println(dir + "/  " + role + (role.equals(Role.PROXY.id) ? "" : " " + String.join(", ", names)));
        }
        System.err.printf("veil keys: CA and %d identities valid %d days; the CA's private key was not kept%s%n",
                Role.values().length, days,
                shared == null ? "; each role's key store password is in its directory's `password` file"
                        + " (move it out, then use --tls-password-file)" : "");
        return 0;
    }

    /**
     * Writes a fresh CA's certificate and one identity per role under {@code out} (which may exist, empty);
     * with {@code password} null each role gets a random one in its {@code password} file. Returns the roles' directories.
     */
    static List<Path> write(Path out, List<String> names, int days, char[] password) throws IOException, GeneralSecurityException {
        Instant now = Instant.now();
        var ca = CertificateAuthority.create("Veil deployment CA", now.minus(Duration.ofMinutes(5)), Duration.ofDays(days));
        Files.createDirectories(out);
        KeyFiles.ownerOnly(out.resolve("ca.pem"), KeyFiles.pem(ca.certificate()));
        List<Path> dirs = new ArrayList<>();
        for (Role role : Role.values()) {
            var keys = CertificateAuthority.newKeyPair();
            var cert = ca.issue(role, keys.getPublic(), names, now.minus(Duration.ofMinutes(5)), now.plus(Duration.ofDays(days)));
            Path dir = out.resolve(role.id);
            char[] p = password != null ? password : random();
            KeyFiles.write(dir, keys.getPrivate(), cert, ca.certificate(), p);
            if (password == null) KeyFiles.ownerOnly(dir.resolve(KeyFiles.PASSWORD), new String(p) + "\n");
            dirs.add(dir);
        }
        return dirs;
    }

    private char[] sharedPassword() throws IOException {
        if (passwordFile != null) return Files.readString(passwordFile, StandardCharsets.UTF_8).strip().toCharArray();
        String env = System.getenv(TlsOptions.PASSWORD_ENV);
        return env == null || env.isEmpty() ? null : env.toCharArray();
    }

    private static char[] random() {
        byte[] b = new byte[18];
        new SecureRandom().nextBytes(b);
        return HexFormat.of().formatHex(b).toCharArray();
    }
}
