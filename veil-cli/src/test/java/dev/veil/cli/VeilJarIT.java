package dev.veil.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.veil.engine.Shared;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shaded veil.jar as a newcomer runs it, through the ./veil launcher: it loads (signed dependencies once made it
 * unloadable while every in-process test passed), and it prints what the in-process CLI prints.
 */
class VeilJarIT {
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

    @TempDir Path dir;

    private record Run(int code, String out, String err) { }

    private static Run veil(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(ROOT.resolve("veil").toString()));
        command.addAll(List.of(args));
        var builder = new ProcessBuilder(command).directory(ROOT.toFile());
        builder.environment().put("VEIL_SHARED", Shared.root().toString());
        Process p = builder.start();
        var err = new StringBuilder();
        Thread drain = Thread.ofVirtual().start(() -> {
            try {
                err.append(new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException e) {
                err.append(e);
            }
        });
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "veil " + String.join(" ", args) + " did not finish");
        drain.join();
        return new Run(p.exitValue(), out, err.toString());
    }

    @Test
    void generatesWhatTheInProcessCliGenerates() throws Exception {
        String[] args = {"generate", "--model", Shared.storiesBin().toString(), "--prompt", "Once upon a time",
            "--max-tokens", "16", "--temperature", "0", "--scheme", "plain"};
        Run jar = veil(args);
        assertEquals(0, jar.code(), jar.err());
        assertTrue(jar.err().indexOf("veil: building") < 0, "the jar was fresh, yet the launcher rebuilt: " + jar.err());
        assertEquals(CliRun.of(args).out(), jar.out());
    }

    @Test
    void makesKeysWithItsBouncyCastle() throws Exception {
        Run keys = veil("keys", "--out", dir.resolve("keys").toString());
        assertEquals(0, keys.code(), keys.err());
        for (String role : List.of("weights-server", "node", "proxy")) {
            assertTrue(Files.isDirectory(dir.resolve("keys").resolve(role)), role + " missing: " + keys.out());
        }
    }
}
