package dev.veil.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.veil.attack.CmifTranscripts;
import dev.veil.engine.Shared;
import dev.veil.engine.inference.Generator;
import dev.veil.engine.inference.LocalLinearOps;
import dev.veil.engine.inference.Sampler;
import dev.veil.engine.model.ModelLoader;
import dev.veil.protocol.Message;
import dev.veil.protocol.transcript.TranscriptReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** `veil weights-server` and `veil node --scheme cmif` as two processes, and `veil generate --scheme cmif`. */
@Timeout(120)
class CmifCommandsTest {
    @TempDir Path dir;

    private ProcessBuilder veil(String... args) {
        var p = TalariaProcessesTest.veil(args);
        p.environment().put("VEIL_CACHE", dir.resolve("cache").toString());
        return p;
    }

    private static String corpus() {
        return Shared.path("data/sst2/test.tsv").toString();
    }

    @Test
    void nodeProcessWithNothingReplacedGeneratesThePlainText() throws Exception {
        String model = Shared.storiesBin().toString(), prompt = "Lily and Ben went to the park";
        Path transcript = dir.resolve("cmif.veiltr");
        var started = WeightsServerProcess.start(veil("weights-server", "--model", model, "--port", "0", "--transcript",
                transcript.toString()));
        Process server = started.process();
        String err;
        try {
            String address = started.address();
            assertTrue(address.startsWith("127.0.0.1:"), "server said " + address);
            Process node = veil("node", "--scheme", "cmif", "--epsilon", "inf", "--corpus", corpus(), "--model", model,
                    "--weights-server", address, "--prompt", prompt, "--max-tokens", "40").start();
            String text = new String(node.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            err = new String(node.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(node.waitFor(60, TimeUnit.SECONDS));
            assertEquals(0, node.exitValue(), err);

            var m = ModelLoader.load(Shared.storiesBin(), null);
            int[] input = SamplingOptions.input(m.tokenizer(), prompt);
            int[] plain = new Generator(m, new LocalLinearOps(m.config(), m.linear())).generate(input, 40, Sampler.greedy(), t -> {});
            assertEquals(m.tokenizer().decode(input[input.length - 1], plain).strip(), text.strip());
        } finally {
            server.destroy();
            assertTrue(server.waitFor(30, TimeUnit.SECONDS));
        }
        assertTrue(err.contains("the weights server saw \"" + prompt + "\""), err);
        var t = TranscriptReader.readAll(transcript);
        assertEquals(40, t.decodeCalls().size(), "a prefill and 39 decode steps");
        assertTrue(t.linearCalls().isEmpty(), "CMIF makes no per-matrix calls");
        assertTrue(t.entries().getLast().request() instanceof Message.EndSession);
        // The attack lab reads it as one sequence whose first call is the (unsanitized, at ε = ∞) prompt.
        var sequences = CmifTranscripts.read(transcript);
        assertEquals(1, sequences.size());
        assertEquals(SamplingOptions.input(ModelLoader.load(Shared.storiesBin(), null).tokenizer(), prompt).length, sequences.getFirst().promptLength());
        assertEquals(40 + sequences.getFirst().promptLength() - 1, sequences.getFirst().positions());
    }

    @Test
    void inProcessGenerateReportsTheSpendAndBadSettingsAreOneLineErrors() throws Exception {
        String model = Shared.storiesBin().toString();
        Process p = veil("generate", "--model", model, "--scheme", "cmif", "--sanitizer", "custext+", "--epsilon", "2",
                "--corpus", corpus(), "--prompt", "Lily saw a big dog", "--max-tokens", "8").start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), err);
        assertTrue(!out.isBlank());
        assertTrue(err.matches("(?s).*privacy spend: \\d+ tokens? × ε 2\\.0 = \\d+\\.0.*"), err);
        // the headline first: how much of the prompt the server received as it is, then what ε covers
        assertTrue(err.matches("(?s)(.*\n)?\\[cmif: \\d+% of prompt tokens sent verbatim \\(\\d+ of \\d+\\); the weights server saw .*"), err);

        // Bad settings, in this JVM: one line each, no stack trace.
        var errors = new java.io.ByteArrayOutputStream();
        var saved = System.err;
        System.setProperty("veil.cache", dir.resolve("cache").toString());
        try {
            System.setErr(new java.io.PrintStream(errors, true, StandardCharsets.UTF_8));
            for (String[] args : new String[][] {
                    {"generate", "--model", model, "--scheme", "cmif", "--epsilon", "0", "--corpus", corpus()},
                    {"generate", "--model", model, "--scheme", "cmif", "--sanitizer", "magic", "--corpus", corpus()},
                    {"generate", "--model", model, "--scheme", "cmif", "--corpus", dir.resolve("none.txt").toString()},
                    {"node", "--model", model, "--scheme", "cmif", "--weights-server", "127.0.0.1:1", "--corpus", corpus(), "--prompt", "x"}}) {
                assertEquals(1, Main.run(args), String.join(" ", args));
            }
        } finally {
            System.setErr(saved);
            System.clearProperty("veil.cache");
        }
        // errors only: the node's startup line on plaintext loopback ("veil node: no --tls-dir: ...") is not one
        List<String> lines = errors.toString(StandardCharsets.UTF_8).lines().filter(l -> !l.startsWith("veil node: ")).toList();
        assertEquals(4, lines.size(), String.join("\n", lines));
        for (String line : lines) assertTrue(line.startsWith("veil: "), line);
        assertTrue(lines.get(0).contains("ε must be positive"), lines.get(0));
        assertTrue(lines.get(1).contains("unknown sanitizer 'magic'"), lines.get(1));
        assertEquals("veil: token-frequency corpus " + dir.resolve("none.txt") + " not found", lines.get(2));
        assertTrue(lines.get(3).contains("cannot connect to weights server 127.0.0.1:1"), lines.get(3));
    }
}
