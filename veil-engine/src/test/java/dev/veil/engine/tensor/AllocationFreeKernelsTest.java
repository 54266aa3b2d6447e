package dev.veil.engine.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.veil.engine.ChildJvm;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The attention kernels and the summation tree of every decode kernel allocate nothing once C2 has compiled them,
 * at every width this CPU has (forced with {@code -Dveil.vectorBits}; a CPU emulated by the build's flags, see
 * {@link dev.veil.engine.ChildJvm}). A Vector API operation C2 cannot intrinsify
 * at some width runs as boxing Java code instead: Lanes.sum's shape change did at 512 bits, 400 MB per decoded
 * token at the 1B shape.
 */
@Tag("vector")
class AllocationFreeKernelsTest {
    @Test
    void kernelsAllocateNothingOnceCompiledAtEveryWidth() throws Exception {
        int preferred = FloatVector.SPECIES_PREFERRED.vectorBitSize();
        for (int bits = 128; bits <= Math.min(512, preferred); bits *= 2) {
            List<String> lines = probe(bits);
            assertEquals("bits " + bits, lines.getFirst(), "probe ran at the width asked for");
            for (String line : lines.subList(1, lines.size())) {
                assertEquals("0", line.substring(line.lastIndexOf(' ') + 1), bits + " bits, bytes per call: " + line);
            }
        }
    }

    /** C2 only, compiling synchronously after 1000 calls, so the measured calls run compiled code. */
    private static List<String> probe(int bits) throws IOException, InterruptedException {
        List<String> command = ChildJvm.command("-Dveil.vectorBits=" + bits, "-XX:-TieredCompilation", "-Xbatch",
                "-XX:CompileThreshold=1000", "-cp", System.getProperty("java.class.path"), AllocationProbe.class.getName());
        Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(120, TimeUnit.SECONDS)) p.destroyForcibly();
        assertEquals(0, p.exitValue(), "probe at " + bits + " bits failed: " + out);
        return out.lines().toList();
    }
}
