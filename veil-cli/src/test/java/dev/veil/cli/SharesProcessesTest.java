package dev.veil.cli;

import static dev.veil.cli.OtpProcessesTest.plainExact;
import static dev.veil.cli.OtpProcessesTest.run;
import static dev.veil.cli.TalariaProcessesTest.veil;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.veil.engine.Shared;
import dev.veil.engine.model.Model;
import dev.veil.engine.model.ModelLoader;
import dev.veil.protocol.Message;
import dev.veil.protocol.Rows;
import dev.veil.protocol.transcript.TranscriptReader;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** shares through the CLI: `veil generate` with two servers in-process, `veil node` against two `veil weights-server` processes. */
@Timeout(120)
class SharesProcessesTest {
    @Test
    void generatePrintsThePlainExactTextAndKeepsBothTranscripts(@TempDir Path dir) throws Exception {
        String model = Shared.storiesBin().toString();
        Path a = dir.resolve("a.veiltr"), b = dir.resolve("b.veiltr");
        String text = run(veil("generate", "--model", model, "--scheme", "shares", "--prompt", "Once upon a time", "--max-tokens", "30",
                "--temperature", "0", "--transcript", a.toString(), "--transcript-b", b.toString()), null);
        Model m = ModelLoader.load(Shared.storiesBin(), null);
        assertEquals(plainExact(m, "Once upon a time", 30).strip(), text.strip());
        var ta = TranscriptReader.readAll(a);
        var tb = TranscriptReader.readAll(b);
        assertEquals(21 * 30, ta.linearCalls().size()); // prefill + 29 decode steps, 21 matrices each
        assertEquals(21 * 30, tb.linearCalls().size());
        assertEquals(ta.publicBases().keySet(), tb.publicBases().keySet()); // one probe row per matrix, the same to both
        for (int c = 0; c < ta.linearCalls().size(); c++) {
            var ea = ta.linearCalls().get(c);
            var eb = tb.linearCalls().get(c);
            assertEquals(ea.matrix(), eb.matrix());
            assertEquals(ea.input().rows(), eb.input().rows());
            assertTrue(ea.reply() instanceof Message.LinearReply && eb.input() instanceof Rows.RingElements);
        }
    }

    @Test
    void nodeProcessRunsAgainstTwoWeightsServerProcesses() throws Exception {
        String model = Shared.storiesBin().toString();
        var startedA = WeightsServerProcess.start(veil("weights-server", "--model", model, "--port", "0"));
        var startedB = WeightsServerProcess.start(veil("weights-server", "--model", model, "--port", "0"));
        Process a = startedA.process(), b = startedB.process();
        try {
            String la = startedA.address(), lb = startedB.address();
            assertTrue(la.startsWith("127.0.0.1:") && lb.startsWith("127.0.0.1:"), la + " / " + lb);
            List<String> prompts = List.of("Lily and Ben", "The cat");
            String text = run(veil("node", "--model", model, "--scheme", "shares", "--weights-server",
                    la,
                    "--weights-server-b", lb, "--max-tokens", "25", "--temperature", "0", "--stdin"),
                    String.join("\n", prompts) + "\n");
            Model m = ModelLoader.load(Shared.storiesBin(), null);
            String expected = prompts.stream().map(p -> plainExact(m, p, 25)).collect(Collectors.joining());
            assertEquals(expected.replaceAll("\\s+", " ").strip(), text.replaceAll("\\s+", " ").strip());
        } finally {
            a.destroy();
            b.destroy();
            assertTrue(a.waitFor(30, TimeUnit.SECONDS) && b.waitFor(30, TimeUnit.SECONDS));
        }
    }

    @Test
    void aMissingOrExtraSecondServerIsOneLine() {
        String model = Shared.storiesBin().toString();
        var run = CliRun.of("node", "--model", model, "--scheme", "shares", "--weights-server", "127.0.0.1:1");
        assertEquals(1, run.code());
        assertEquals("veil: shares needs two weights servers: add --weights-server-b HOST:PORT", run.err().strip());
        run = CliRun.of("node", "--model", model, "--scheme", "remo-otp", "--weights-server", "127.0.0.1:1", "--weights-server-b",
                "127.0.0.1:2");
        assertEquals("veil: remo-otp talks to one weights server: drop --weights-server-b", run.err().strip());
        run = CliRun.of("node", "--model", model, "--scheme", "shares", "--weights-server", "127.0.0.1:1", "--weights-server-b", "nowhere");
        assertEquals("veil: --weights-server-b must be HOST:PORT, got 'nowhere'", run.err().strip().lines().reduce((x, y) -> y).orElse(""));
        run = CliRun.of("generate", "--model", model, "--scheme", "remo-otp", "--transcript-b", "/tmp/x");
        assertEquals("veil: --transcript-b needs a scheme with two weights servers, not remo-otp", run.err().strip());
    }
}
