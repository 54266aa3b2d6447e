package dev.veil.engine.inference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.veil.engine.ChildJvm;
import dev.veil.engine.tensor.GGMLType;
import dev.veil.engine.tensor.Lanes;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

/**
 * Decoding a token allocates nothing on the heap, in any thread, for every tensor type and KV cache type, once C2
 * has compiled the decode path: the forward pass's arrays belong to the sequence, a parallel call's state to the
 * engine's workers, and its bodies are reused objects, not capturing lambdas (one of those per call was 9.7 KB per
 * token at the 1B shape). The workers are forced on (3 threads) whatever this machine has; vector code boxes until C2
 * compiles it, so each run is measured until one is clean (a per-call allocation shows in every run). Rarely (once in
 * about fifteen JVMs, Q4_K) C2 settled on code that boxes vectors for good; a fresh JVM tells that apart from a
 * regression, which allocates in every JVM. The probe runs at this JVM's vector width ({@link ChildJvm}): the build
 * runs this test again emulating 128-bit and AVX2 CPUs, where the K-quant kernels once boxed in every JVM.
 */
@Tag("vector")
class DecodeAllocationTest {
    @TempDir static Path dir;

    @ParameterizedTest
    @FieldSource("dev.veil.engine.inference.ChunkedPrefillTest#TYPES")
    void decodingAllocatesNothingPerTokenOnceCompiled(GGMLType type) throws Exception {
        List<String> lines = probe(type);
        if (allocating(lines) != null) lines = probe(type);  // see the class comment: once more, in a fresh JVM
        assertNull(allocating(lines), "heap bytes over " + DecodeAllocationProbe.TOKENS + " tokens, in two JVMs: " + lines);
    }

    private static List<String> probe(GGMLType type) throws Exception {
        List<String> command = ChildJvm.command("-Dveil.threads=3", "-cp", System.getProperty("java.class.path"),
                DecodeAllocationProbe.class.getName(), dir.toString(), type.name());
        Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(120, TimeUnit.SECONDS)) p.destroyForcibly();
        assertEquals(0, p.exitValue(), "probe failed: " + out);
        List<String> lines = out.lines().toList();
        assertEquals(1 + KVCache.Type.values().length, lines.size(), out);
        assertEquals("bits " + Lanes.bits(), lines.getFirst(), "the probe's width");
        return lines.subList(1, lines.size());
    }

    /** The first line with a byte or more per token, or null. */
    private static String allocating(List<String> lines) {
        for (String line : lines) {
            if (Long.parseLong(line.substring(line.lastIndexOf(' ') + 1)) >= DecodeAllocationProbe.TOKENS) return line;
        }
        return null;
    }
}
