package dev.veil.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.veil.engine.Shared;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.PrintStream;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 24, the scheme seam: a scheme added as its own class ({@link dev.veil.cli.identity.IdentityScheme}) and one
 * registration line, no other file touched, is taken by the commands: generate with its own option, the attack lab
 * on its own node, the load bench among the served schemes. The line lives outside the test class path
 * ({@code src/test/seam}), so only this test's veil (every class loaded afresh, by a loader that also sees it) has it.
 */
class AddedSchemeTest {
    private static final Path SEAM = Path.of("src/test/seam");
    private static URLClassLoader veil;

    @BeforeAll
    static void veilWithTheIdentityScheme() throws MalformedURLException {
        assertTrue(Files.isRegularFile(SEAM.resolve("META-INF/services/dev.veil.node.SchemeType")), "run from veil-cli");
        List<URL> path = new ArrayList<>(List.of(SEAM.toUri().toURL()));
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) path.add(Path.of(entry).toUri().toURL());
        veil = new URLClassLoader(path.toArray(URL[]::new), ClassLoader.getPlatformClassLoader());
        System.setProperty("veil.shared", Shared.root().toString()); // cmif's default corpus, for the load bench's cmif
    }

    @AfterAll
    static void close() throws Exception {
        veil.close();
    }

    /** {@code veil ARGS} in this test's veil. */
    private static CliRun veil(String... args) throws Exception {
        var out = new ByteArrayOutputStream();
        var err = new ByteArrayOutputStream();
        PrintStream savedOut = System.out, savedErr = System.err;
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int code = (int) veil.loadClass(Main.class.getName()).getMethod("run", String[].class).invoke(null, (Object) args);
            return new CliRun(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(savedOut);
            System.setErr(savedErr);
        }
    }

    @Test
    void generateTakesTheSchemeAndItsOption() throws Exception {
        String model = Shared.storiesBin().toString();
        var identity = veil("generate", "--model", model, "--scheme", "identity", "--rows-per-call", "3", "--prompt", "Lily and Ben",
                "--max-tokens", "8");
        assertEquals(0, identity.code(), identity.err());
        // the server multiplies the clear activations as the plain engine does: the same text
        var plain = veil("generate", "--model", model, "--scheme", "plain", "--prompt", "Lily and Ben", "--max-tokens", "8");
        assertEquals(plain.out(), identity.out());
        var misplaced = veil("generate", "--model", model, "--scheme", "plain", "--rows-per-call", "3", "--prompt", "hi");
        assertEquals("veil: --rows-per-call does not apply to --scheme plain", misplaced.err().strip());
        assertTrue(veil("generate", "--help").out().contains("--rows-per-call=N"), "its option in the usage text");
    }

    @Test
    void theAttackLabDeploysItsOwnNode() throws Exception {
        var run = veil(AttackCommandTest.small("--scheme", "identity"));
        assertEquals(0, run.code(), run.err());
        assertTrue(run.out().contains("scheme identity: 3 victim sequences"), run.out());
        // what its server sees is what plain's clear server sees: the lab's first attack reads every token
        assertTrue(run.out().contains("\nTRA vocab-matching prompt=100.00% answer=100.00%"), run.out());
    }

    /** A scheme's own bench, one services line too: {@code veil bench identity}, with the scheme benches' options. */
    @Test
    void itsOwnBenchIsABenchSubcommand() throws Exception {
        var run = veil("bench", "identity", "--model", Shared.storiesBin().toString(), "-p", "4", "-n", "2", "-r", "1", "--warmup", "0",
                "--rows-per-call", "3");
        assertEquals(0, run.code(), run.err());
        assertEquals("identity bench: stories260K.bin, 1 servers, -p 4 -n 2 -r 1 --warmup 0, main " + Main.class.getName(),
                run.out().strip());
        var misplaced = veil("bench", "identity", "--model", "m.gguf", "--epsilon", "1");
        assertEquals("veil: --epsilon does not apply to --scheme identity", misplaced.err().strip());
        assertTrue(veil("bench", "--help").out().contains("identity"), "listed among the benches");
        var elsewhere = CliRun.of("bench", "identity", "--model", "m.gguf");  // the test class path, without the line
        assertTrue(elsewhere.code() == 1 && elsewhere.err().startsWith("veil: Unmatched arguments from index 1: 'identity'"),
                "only where its line is registered: " + elsewhere.err());
    }

    @Test
    void theLoadBenchServesIt() throws Exception {
        var run = veil("bench", "load", "--model", Shared.storiesBin().toString(), "--sessions", "2", "--duration", "0",
                "-n", "4");
        assertEquals(0, run.code(), run.out() + run.err());
        assertTrue(run.out().contains("identity"), run.out());
        assertTrue(run.out().contains(" 0 differ from their single-session answer, 0 sessions failed"), run.out());
    }
}
