package dev.veil.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.veil.engine.Shared;
import dev.veil.engine.inference.KVCache;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** --threads reaches the engine's pool (a fresh JVM each: the pool is made once per process); --kv-type the KV cache. */
@Timeout(180)
class EngineOptionsTest {
    private static final String[] BENCH = {"bench", "plain", "--model", "", "-p", "4", "-n", "2", "-r", "1", "--warmup", "0",
        "--bandwidth-mib", "64"};

    private static String[] bench(String... extra) {
        List<String> args = new ArrayList<>(List.of(BENCH));
        args.set(3, Shared.storiesBin().toString());
        args.addAll(List.of(extra));
        return args.toArray(String[]::new);
    }

    /** veil bench in a child JVM (with these JVM options): its standard output. */
    private static String child(List<String> jvm, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector"));
        cmd.addAll(jvm);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "dev.veil.cli.Main"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        return out;
    }

    @Test
    void threadsReachThePoolAndTheSystemPropertyStillWorks() throws Exception {
        String out = child(List.of(), bench("--threads", "3"));
        assertTrue(out.contains("threads          3, "), out);
        out = child(List.of("-Dveil.threads=5"), bench());
        assertTrue(out.contains("threads          5, "), out);
        out = child(List.of("-Dveil.threads=5"), bench("--threads", "1"));  // the option wins over the property
        assertTrue(out.contains("threads          1, "), out);
    }

    @Test
    void badThreadsOrKvTypeGiveOneLineErrors() {
        var run = CliRun.of(bench("--threads", "0"));
        assertEquals(1, run.code());
        assertEquals("veil: --threads: the thread count must be at least 1, got 0 (see 'veil bench plain --help')", run.err().strip());
        run = CliRun.of(bench("--kv-type", "q8_0"));
        assertEquals(1, run.code());
        assertEquals("veil: --kv-type: unknown KV cache type 'q8_0' (f16 or f32) (see 'veil bench plain --help')", run.err().strip());
        int other = dev.veil.engine.Parallel.threads() + 1;  // the pool exists in this JVM now: a change is refused
        run = CliRun.of("generate", "--model", Shared.storiesBin().toString(), "--threads", String.valueOf(other));
        assertEquals(1, run.code());
        assertTrue(run.err().startsWith("veil: --threads: the engine's thread pool already runs "), run.err());
        assertEquals(1, run.err().strip().lines().count(), run.err());
    }

    @Test
    void benchReportsTheKvCacheOfItsType() {
        try {
            long f32 = kvBytes(CliRun.of(bench()), "f32");
            long f16 = kvBytes(CliRun.of(bench("--kv-type", "f16")), "f16");
            assertEquals(f32 / 2, f16);
        } finally {
            KVCache.setDefaultType(KVCache.Type.F32);  // one setting per process: leave the next test the default
        }
    }

    private static long kvBytes(CliRun run, String type) {
        assertEquals(0, run.code(), run.err());
        var m = Pattern.compile("kv cache\\s+" + type + ", 4 positions, [0-9.]+ MiB \\((\\d+) bytes").matcher(run.out());
        assertTrue(m.find(), run.out());
        assertTrue(run.out().contains("KV cache (" + type + ")"), run.out());
        return Long.parseLong(m.group(1));
    }
}
