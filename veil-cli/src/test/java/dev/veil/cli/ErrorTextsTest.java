package dev.veil.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.veil.engine.Shared;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Error texts name the host, port or path they are about, in one line. */
class ErrorTextsTest {
    static final String STORIES = Shared.storiesBin().toString();
    @TempDir Path dir;

    static String error(String... args) {
        var run = CliRun.of(args);
        assertEquals(1, run.code(), run.out() + run.err());
        // The startup notice of a role without --tls-dir is not part of the error.
        var lines = run.err().strip().lines().filter(l -> !l.contains("no --tls-dir: plaintext on the loopback interface only")).toList();
        assertEquals(1, lines.size(), run.err());
        return lines.getFirst();
    }

    @Test
    void aFolderGivenAsAModelIsNamed() {
        assertEquals("veil: " + dir + " is a folder; give a model file (GGUF or llama2.c checkpoint)",
                error("generate", "--model", dir.toString(), "--prompt", "x"));
    }

    @Test
    void aMissingOutputFolderIsNamed() {
        Path file = dir.resolve("no-such-folder").resolve("t.transcript");
        assertEquals("veil: no folder " + file.getParent() + " (for " + file + ")",
                error("generate", "--model", STORIES, "--prompt", "x", "--max-tokens", "1", "--transcript", file.toString()));
    }

    @Test
    void missingFilesAreNotFound() throws Exception {
        Path none = dir.resolve("none"), keys = dir.resolve("keys");
        assertEquals(0, CliRun.of("keys", "--out", keys.toString()).code());
        String node = keys.resolve("node").toString(), proxy = keys.resolve("proxy").toString();
        assertEquals("veil: attestation policy " + none + " not found",
                error("proxy", "--node", "https://localhost:1", "--policy", none.toString(), "--tls-dir", proxy));
        assertEquals("veil: attestation policy " + none + " not found", error("weights-server", "--model", STORIES, "--port", "0",
                "--tls-dir", keys.resolve("weights-server").toString(), "--attestation-policy", none.toString()));
        assertEquals("veil: API keys file " + none + " not found", error("serve", "--model", STORIES, "--api-keys", none.toString()));
        assertEquals("veil: TLS directory " + none + " not found (make it with veil keys)",
                error("node", "--model", STORIES, "--weights-server", "localhost:1", "--prompt", "x", "--tls-dir", none.toString()));
        assertEquals("veil: TLS password file " + none + " not found", error("node", "--model", STORIES, "--weights-server", "localhost:1",
                "--prompt", "x", "--tls-dir", node, "--tls-password-file", none.toString()));
        Path empty = Files.createDirectories(dir.resolve("empty"));
        assertEquals("veil: " + empty.resolve("identity.p12") + " not found (make it with veil keys)", error("node", "--model", STORIES,
                "--weights-server", "localhost:1", "--prompt", "x", "--tls-dir", empty.toString(), "--tls-password-file",
                keys.resolve("node").resolve("password").toString()));
        assertEquals("veil: VCEK certificate " + none + " not found", error("serve", "--model", STORIES, "--port", "0", "--tls-dir", node,
                "--attestation", "sev-snp", "--vcek", none.toString()));
        assertEquals("veil: password file " + none + " not found",
                error("keys", "--out", dir.resolve("more").toString(), "--password-file", none.toString()));
        assertEquals("veil: model file not found: " + none, error("generate", "--model", none.toString(), "--prompt", "x"));
        assertEquals("veil: tokenizer file not found: " + none, error("generate", "--model", STORIES, "--tokenizer", none.toString()));
        assertEquals("veil: token-frequency corpus " + none + " not found",
                error("generate", "--model", STORIES, "--prompt", "x", "--scheme", "cmif", "--corpus", none.toString()));
        // and wherever code wraps a missing file without saying so
        var wrapped = new IllegalArgumentException("cannot read thing " + none + ": " + none,
                new java.nio.file.NoSuchFileException(none.toString()));
        assertEquals("cannot read thing " + none + ": " + none + " not found", Main.message(wrapped));
        assertEquals("veil: model file not found: " + none, error("privacy-report", "--out", dir.resolve("report").toString(),
                "--cost-model", none.toString()));
    }

    @Test
    void anUnknownHostIsNamed() {
        String e = error("node", "--model", STORIES, "--weights-server", "no-such-host.invalid:7000", "--prompt", "x");
        assertEquals("veil: cannot connect to weights server no-such-host.invalid:7000: unknown host 'no-such-host.invalid'", e);
    }

    @Test
    void aPortInUseIsNamed() throws Exception {
        try (var taken = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            int port = taken.getLocalPort();
            String e = error("weights-server", "--model", STORIES, "--host", "127.0.0.1", "--port", String.valueOf(port));
            assertTrue(e.startsWith("veil: cannot listen on 127.0.0.1:" + port + ": "), e);
            assertTrue(e.endsWith("(port " + port + " is taken)"), e);
        }
    }
}
