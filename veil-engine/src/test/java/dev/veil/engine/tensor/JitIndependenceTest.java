package dev.veil.engine.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.veil.engine.ChildJvm;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Every kernel of the forward pass gives the same bits interpreted and C2-compiled. The Vector API's
 * {@code reduceLanes(ADD)} and {@code EXP} did not (the Java fallback and C2's intrinsic round differently), so
 * the plain engine's and ReMO's exact logits differed whenever one of them ran before C2 had compiled a kernel.
 */
@Tag("vector")
class JitIndependenceTest {
    @Test
    void kernelsGiveTheSameBitsInTheInterpreterAndCompiledByC2() throws Exception {
        List<String> interpreted = probe(1, "-Xint");
        // C2 alone, compiling synchronously after 100 calls: the last of 400 calls runs compiled code
        List<String> compiled = probe(400, "-XX:-TieredCompilation", "-Xbatch", "-XX:CompileThreshold=100");
        assertEquals(String.join("\n", interpreted), String.join("\n", compiled), "interpreter vs C2");
    }

    private static List<String> probe(int repeat, String... flags) throws IOException, InterruptedException {
        List<String> command = ChildJvm.command(flags);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), JitProbe.class.getName(), Integer.toString(repeat)));
        Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(120, TimeUnit.SECONDS)) p.destroyForcibly();
        assertEquals(0, p.exitValue(), "probe " + List.of(flags) + " failed: " + out);
        return out.lines().toList();
    }
}
