package dev.veil.cli;

import static dev.veil.cli.TalariaProcessesTest.veil;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.veil.engine.Shared;
import dev.veil.engine.inference.Generator;
import dev.veil.engine.inference.Sampler;
import dev.veil.engine.model.Model;
import dev.veil.engine.model.ModelLoader;
import dev.veil.engine.ring.Numeric;
import dev.veil.protocol.Message;
import dev.veil.protocol.transcript.TranscriptReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** remo-otp through the CLI: `veil generate` and `veil node` against a `veil weights-server` process print the plain exact text. */
@Timeout(120)
class OtpProcessesTest {
    static String plainExact(Model m, String prompt, int tokens) {
        int[] input = SamplingOptions.input(m.tokenizer(), prompt);
        int[] out = new Generator(m, Numeric.Z64.plain(m.config(), m.linear())).generate(input, tokens, Sampler.greedy(), t -> {});
        return m.tokenizer().decode(input[input.length - 1], out);
    }

    static String run(ProcessBuilder builder, String stdin) throws Exception {
        Process p = builder.redirectError(ProcessBuilder.Redirect.DISCARD).start();
        try (var in = p.getOutputStream()) {
            if (stdin != null) in.write(stdin.getBytes(StandardCharsets.UTF_8));
        }
        String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), text);
        return text;
    }

    @Test
    void generatePrintsThePlainExactTextAndKeepsTheTranscript(@TempDir Path dir) throws Exception {
        String model = Shared.storiesBin().toString();
        Path transcript = dir.resolve("otp.veiltr");
        String text = run(veil("generate", "--model", model, "--scheme", "remo-otp", "--prompt", "Once upon a time", "--max-tokens", "40",
                "--pool-rows", "8", "--pool-batch", "4", "--transcript", transcript.toString()), null);
        Model m = ModelLoader.load(Shared.storiesBin(), null);
        assertEquals(plainExact(m, "Once upon a time", 40).strip(), text.strip());
        var t = TranscriptReader.readAll(transcript);
        assertTrue(t.publicBases().isEmpty());
        assertEquals(21 * 40, t.linearCalls().size()); // prefill + 39 decode steps, 21 matrices each
        assertTrue(t.entries().stream().allMatch(e -> e.reply() instanceof Message.LinearReply));
    }

    @Test
    void nodeProcessRunsSeveralSessionsAgainstAWeightsServerProcess() throws Exception {
        String model = Shared.storiesBin().toString();
        var started = WeightsServerProcess.start(veil("weights-server", "--model", model, "--port", "0"));
        Process server = started.process();
        try {
            String address = started.address();
            assertTrue(address.startsWith("127.0.0.1:"), "server said " + address);
            List<String> prompts = List.of("Lily and Ben", "The cat", "One day, a little girl");
            String text = run(veil("node", "--model", model, "--weights-server", address, "--scheme", "remo-otp",
                    "--max-tokens", "25", "--stdin"), String.join("\n", prompts) + "\n");
            Model m = ModelLoader.load(Shared.storiesBin(), null);
            String expected = prompts.stream().map(p -> plainExact(m, p, 25)).collect(Collectors.joining());
            assertEquals(expected.replaceAll("\\s+", " ").strip(), text.replaceAll("\\s+", " ").strip());
        } finally {
            server.destroy();
            assertTrue(server.waitFor(30, TimeUnit.SECONDS));
        }
    }

    @Test
    void floatModeIsRefusedInOneLine() throws Exception {
        Process p = veil("generate", "--model", Shared.storiesBin().toString(), "--scheme", "remo-otp", "--numeric", "float")
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(1, p.exitValue(), err);
        List<String> lines = err.lines().filter(l -> !l.startsWith("WARNING")).toList();
        assertEquals(List.of("veil: remo-otp masks over a ring: use --numeric exact (Z_2^64) or z32"), lines);
    }
}
