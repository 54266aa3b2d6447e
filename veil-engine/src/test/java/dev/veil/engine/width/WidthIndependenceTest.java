package dev.veil.engine.width;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.veil.engine.tensor.Lanes;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The same logits, bit for bit, at 128, 256 and 512 bits: {@link WidthProbe} runs here and in JVMs started with
 * {@code -XX:MaxVectorSize=16} and {@code -Dveil.vectorBits=256} (on a narrower machine the probe runs at its
 * own width, and the check still compares two widths).
 */
@Tag("vector")
class WidthIndependenceTest {
    @TempDir static Path dir;

    @Test
    void everyTypeGivesBitIdenticalLogitsAtEveryWidth() throws Exception {
        List<String> here = WidthProbe.lines(dir);
        // 128 bits as a NEON machine has them (the JVM's limit), 256 by the engine's own switch
        for (String option : new String[] {"-XX:MaxVectorSize=16", "-Dveil.vectorBits=256"}) {
            List<String> there = probe(option);
            int bits = option.endsWith("16") ? 128 : 256;
            assertEquals("bits " + bits, there.getFirst(), "child JVM ran at the width asked for");
            assertEquals(here, there.subList(1, there.size()), "logits at " + bits + " bits vs " + Lanes.bits() + " bits");
        }
    }

    private static List<String> probe(String option) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", option,
                "-cp", System.getProperty("java.class.path"), WidthProbe.class.getName(), dir.toString()));
        Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(120, TimeUnit.SECONDS)) p.destroyForcibly();
        assertEquals(0, p.exitValue(), "probe " + option + " failed: " + out);
        return out.lines().toList();
    }
}
