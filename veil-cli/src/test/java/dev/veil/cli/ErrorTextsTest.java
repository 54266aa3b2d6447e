package dev.veil.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.veil.engine.Shared;
import java.net.ServerSocket;
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
