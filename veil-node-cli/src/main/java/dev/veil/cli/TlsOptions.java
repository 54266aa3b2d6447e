package dev.veil.cli;

import dev.veil.protocol.transport.Tls;
import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.net.ssl.SSLContext;
import picocli.CommandLine.Option;

/**
 * How a role secures its TCP links (issue 11), for every command that listens or dials: mutual TLS 1.3 with
 * the role's directory from {@code veil keys}; or, without one, plaintext on the loopback interface only;
 * plaintext elsewhere only with {@code --insecure-plaintext}, which warns at startup and in every report. The
 * key store password comes from a file or the environment, never from the command line.
 */
final class TlsOptions {
    static final String PASSWORD_ENV = "VEIL_TLS_PASSWORD";

    @Option(names = "--tls-dir", paramLabel = "DIR",
            description = "this role's TLS identity from `veil keys` (identity.p12, trust.p12): mutual TLS 1.3 on every link")
    Path dir;

    @Option(names = "--tls-password-file", paramLabel = "FILE",
            description = "file holding the key store password (default: $" + PASSWORD_ENV + ", else DIR/password)")
    Path passwordFile;

    @Option(names = "--insecure-plaintext", description = "allow plaintext TCP beyond the loopback interface (warns; never in production)")
    boolean insecurePlaintext;

    private boolean plaintextBeyondLoopback;

    /**
     * The TLS context for a role that talks to {@code peerRole} at (or listening on) {@code host}, or null for
     * plaintext, which is allowed on loopback and, with {@code --insecure-plaintext}, anywhere.
     *
     * @param who the command's name, for the startup line
     */
    SSLContext context(String who, String host, String peerRole) {
        if (dir != null) return Tls.context(dir, password(), peerRole);
        if (loopback(host)) {
            System.err.println("veil " + who + ": no --tls-dir: plaintext on the loopback interface only (" + host + ")");
            return null;
        }
        if (!insecurePlaintext) {
            throw new IllegalArgumentException(host + " is not a loopback address: give --tls-dir DIR (made by `veil keys`),"
                    + " or --insecure-plaintext");
        }
        plaintextBeyondLoopback = true;
        System.err.println(warning());
        Runtime.getRuntime().addShutdownHook(new Thread(this::warnAgain)); // and again under the final report
        return null;
    }

    /** The warning to repeat in every report, or null when the links are TLS or loopback. */
    String warning() {
        return plaintextBeyondLoopback
                ? "veil: WARNING: --insecure-plaintext: this link is unauthenticated and unencrypted beyond loopback" : null;
    }

    void warnAgain() {
        if (warning() != null) System.err.println(warning());
    }

    boolean tls() {
        return dir != null;
    }

    char[] password() {
        if (dir != null && !Files.isDirectory(dir)) {
            throw new IllegalArgumentException("TLS directory " + dir + " not found (make it with veil keys)");
        }
        try {
            if (passwordFile != null) {
                return strip(Files.readString(InputFiles.existing(passwordFile, "TLS password file"), StandardCharsets.UTF_8));
            }
            String env = System.getenv(PASSWORD_ENV);
            if (env != null) return env.toCharArray();
            Path inDir = dir.resolve(Tls.PASSWORD_FILE);
            if (Files.isRegularFile(inDir)) return strip(Files.readString(inDir, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read the TLS password: " + e.getMessage(), e);
        }
        throw new IllegalArgumentException("no TLS key store password: give --tls-password-file FILE or set $" + PASSWORD_ENV);
    }

    private static char[] strip(String s) {
        return s.strip().toCharArray();
    }

    static boolean loopback(String host) {
        try {
            for (InetAddress a : InetAddress.getAllByName(host)) if (!a.isLoopbackAddress()) return false;
            return true;
        } catch (UnknownHostException e) {
            return true; // nothing can be reached there either: connecting or listening then fails naming host and port
        }
    }
}
