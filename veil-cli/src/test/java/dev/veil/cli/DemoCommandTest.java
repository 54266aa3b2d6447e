package dev.veil.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.veil.engine.Shared;
import dev.veil.protocol.transcript.TranscriptReader;
import java.nio.file.Path;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `veil demo` on stories260K: every scheme gives plain's text, and the demo says what an attack recovers from each server. */
class DemoCommandTest {
    @TempDir Path dir;

    @Test
    void showsWhatEachServerGivesAway() throws Exception {
        var run = CliRun.of("demo", "--model", Shared.storiesBin().toString(), "--max-tokens", "8", "--transcripts", dir.toString());
        String o = run.out();
        assertEquals(0, run.code(), run.err());
        // BOS and the 8 prompt tokens the attacks are scored on, counted alike
        assertTrue(o.startsWith("prompt: Once upon a time, there was a  [BOS + 8 tokens]\n"), o);
        assertEquals(2, o.split("same tokens as plain: yes \\(8 generated\\)", -1).length - 1, o);
        // ReMO's masked rows give the whole prompt away; one-time pads leave vocabulary matching nothing
        assertTrue(o.contains("null-space attack on the transcript recovers 8 of 8 prompt tokens (100%): "
                + "\"Once upon a time, there was a\""), o);
        var otp = Pattern.compile("\n  remo-otp +vocab-matching +recovers (\\d+) of 8 prompt tokens").matcher(o);
        assertTrue(otp.find(), o);
        assertTrue(Integer.parseInt(otp.group(1)) <= 2, o);
        assertTrue(o.contains("veil: warning: remo leaks"), o);
        // The kept transcripts hold exactly the calls the demo reports, the first carrying BOS and the 8 prompt tokens.
        var reported = Pattern.compile("transcript: (\\d+) calls; the first, qkv layer 0, carried 9 rows").matcher(o);
        for (String scheme : new String[] {"remo", "remo-otp"}) {
            assertTrue(reported.find(), o);
            var transcript = TranscriptReader.readAll(dir.resolve(scheme + ".transcript"));
            assertEquals(Integer.parseInt(reported.group(1)), transcript.linearCalls().size(), scheme);
        }
    }

    @Test
    void aMissingTranscriptFolderIsNamed() {
        var run = CliRun.of("demo", "--model", Shared.storiesBin().toString(), "--transcripts", dir.resolve("none").toString());
        assertEquals(1, run.code());
        assertEquals("veil: --transcripts: no folder " + dir.resolve("none"), run.err().strip());
    }
}
