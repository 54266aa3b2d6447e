package dev.veil.cli;

import dev.veil.keys.KeyFiles;
import dev.veil.keys.Role;
import dev.veil.protocol.Counts;
import dev.veil.trust.CodeMeasurement;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * A fresh CA and one TLS identity per role, each in its own directory for {@code --tls-dir}. The CA's private
 * key is discarded once the identities are issued (re-run to rotate), and no private key is ever printed. Keys are
 * not written inside a git working tree unless asked to ({@code --in-working-tree}): a private key there is one
 * {@code git add -A} away from a commit. {@code --policy FILE} writes a starting attestation policy that approves
 * this build's simulated measurement (what {@code --attestation simulated} reports).
 */
@Command(name = "keys", mixinStandardHelpOptions = true,
        description = {"Make a deployment's keys: a fresh CA and one mutual-TLS identity per role",
                "(weights-server, node, proxy) in OUT/<role>/ (identity.p12, trust.p12, certificate.pem);",
                "with --policy, an attestation policy approving this build's simulated measurement."})
final class KeysCommand implements Callable<Integer> {
    @Option(names = "--out", paramLabel = "DIR", description = "directory to create (must not exist or be empty), outside any git"
            + " working tree unless --in-working-tree")
    Path out;

    @Option(names = "--in-working-tree", description = "allow --out inside a git working tree (private keys there are easily"
            + " committed; the repository ignores /keys/)")
    boolean inWorkingTree;

    @Option(names = "--policy", paramLabel = "FILE", description = {"also write an attestation policy (docs/trust.md) approving"
            + " the measurement this build reports under --attestation simulated; valid until Veil is rebuilt",
            "(alone: only the policy)"})
    Path policy;

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
        if (out == null && policy == null) throw new IllegalArgumentException("give --out DIR (keys), --policy FILE, or both");
        if (policy != null && Files.exists(policy)) throw new IllegalArgumentException(policy + " exists; remove it first");
        if (out == null) {
            writePolicy(policy);
            return 0;
        }
        Path tree = workingTree(out);
        if (tree != null && !inWorkingTree) {
            throw new IllegalArgumentException(out + " is inside the git working tree " + tree + ": private keys there are one `git add`"
                    + " away from a commit; give a directory outside it, or --in-working-tree");
        }
        if (Files.exists(out) && (!Files.isDirectory(out) || !isEmpty(out))) {
            throw new IllegalArgumentException(out + " exists and is not an empty directory");
        }
        char[] shared = sharedPassword();
        List<String> names = hosts.isEmpty() ? List.of("localhost", "127.0.0.1", "::1") : hosts;
        for (Path dir : KeyFiles.writeDeployment(out, names, days, shared)) {
            String role = dir.getFileName().toString();
            System.out.println(dir + "/  " + role + (role.equals(Role.PROXY.id) ? "" : " " + String.join(", ", names)));
        }
        System.err.printf("veil keys: CA and %s valid %s; the CA's private key was not kept%s%n",
                Counts.of(Role.values().length, "identity"), Counts.of(days, "day"),
                shared == null ? "; each role's key store password is in its directory's `password` file"
                        + " (move it out, then use --tls-password-file)" : "");
        if (policy != null) writePolicy(policy);
        return 0;
    }

    private static boolean isEmpty(Path dir) throws IOException {
        try (var entries = Files.list(dir)) {
            return entries.findAny().isEmpty();
        }
    }

    /** The git working tree {@code path} lies in (a folder above it, or itself, holds {@code .git}), or null. */
    static Path workingTree(Path path) {
        for (Path p = path.toAbsolutePath().normalize(); p != null; p = p.getParent()) {
            if (Files.exists(p.resolve(".git"))) return p;
        }
        return null;
    }

    /**
     * A policy approving the measurements a node of this build reports under {@code --attestation simulated}:
     * {@link CodeMeasurement} of this class path (veil.jar, or class folders: the tools' in-process serve), and of the
     * trusted node jar beside it (veil-node.jar, which ./veil runs for node and for serve with remote weights servers).
     */
    private static void writePolicy(Path file) throws IOException {
        String measurement = HexFormat.of().formatHex(CodeMeasurement.ofClassPath());
        String home = System.getProperty("veil.home");
        Path nodeJar = home == null ? null : Path.of(home, "veil-node-cli", "target", "veil-node.jar");
        if (nodeJar != null && Files.isRegularFile(nodeJar)) {
            measurement += ", " + HexFormat.of().formatHex(CodeMeasurement.of(List.of(nodeJar)));
        }
        Files.writeString(file, """
                # Veil attestation policy (docs/trust.md), written by `veil keys --policy`.
                # The SHA-384 of this build's code, which `--attestation simulated` reports (SIMULATED proves nothing: development
                # only, and verifiers accept it only with --allow-simulated-attestation). Rebuilding Veil changes it.
                # A real node's measurement comes from its image (snp-measure / sev-snp-measure).
                measurement = %s
                # min-tcb = bootloader:3,tee:0,snp:8,microcode:115
                # defaults: allow-debug = false, max-vmpl = 0, min-report-version = 2, allow-migration-agent = false
                """.formatted(measurement), StandardCharsets.UTF_8, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        System.err.println("veil keys: " + file + " approves this build's simulated measurement " + measurement.substring(0, 16)
                + "..." + (measurement.contains(",") ? " and its node jar's" : "") + " (valid until Veil is rebuilt)");
    }

    private char[] sharedPassword() throws IOException {
        if (passwordFile != null) {
            return Files.readString(InputFiles.existing(passwordFile, "password file"), StandardCharsets.UTF_8).strip().toCharArray();
        }
        String env = System.getenv(TlsOptions.PASSWORD_ENV);
        return env == null || env.isEmpty() ? null : env.toCharArray();
    }
}
