package dev.veil.cli;

import static dev.veil.cli.OtpProcessesTest.plainExact;
import static dev.veil.cli.TalariaProcessesTest.veil;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.veil.engine.Shared;
import dev.veil.engine.model.Model;
import dev.veil.engine.model.ModelLoader;
import dev.veil.engine.inference.Generator;
import dev.veil.engine.inference.Sampler;
import dev.veil.engine.ring.Numeric;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * `veil export` then `veil weights-server --engine onnxruntime`: every scheme that uses the ring (remo exact, remo-otp,
 * shares) generates, against ONNX Runtime's products, the text the plain engine does in exact mode. A ring reply that
 * differed from the Java engine's in one bit would change the restored values (remo-otp's Freivalds check would also
 * refuse it).
 */
@Timeout(300)
class OnnxWeightsServerTest {
    static final String PROMPT = "Once upon a time";

    @Test
    void ringSchemesAgainstOnnxRuntimeGiveThePlainExactText(@TempDir Path dir) throws Exception {
        String model = Shared.storiesBin().toString();
        Path repo = dir.resolve("exact");
        var export = CliRun.of("export", "--model", model, "--numeric", "exact", "--out", repo.toString());
        assertEquals(0, export.code(), export.err());
        assertTrue(export.out().startsWith("wrote " + repo + ": 21 ONNX models of 'stories260K.bin' (exact"), export.out());
        assertTrue(Files.isRegularFile(repo.resolve("output.z64/1/model.onnx")), "the LM head, named as the node asks for it");
        assertTrue(Files.isRegularFile(repo.resolve("output.z64/config.pbtxt")));

        Path z32 = dir.resolve("z32");
        var exportZ32 = CliRun.of("export", "--model", model, "--numeric", "z32", "--ring-graph", "int", "--out", z32.toString());
        assertEquals(0, exportZ32.code(), exportZ32.err());

        var server = WeightsServerProcess.start(veil("weights-server", "--engine", "onnxruntime", "--repository", repo.toString(),
                "--repository", z32.toString(), "--port", "0"));
        try {
            String line = server.lines().stream().filter(l -> l.contains("listening on")).findFirst().orElseThrow();
            assertTrue(line.contains("serving 'stories260K.bin'") && line.contains("on onnxruntime 1.23.2 (cpu; [z32, z64])"), line);
            Model m = ModelLoader.load(Shared.storiesBin(), null);
            String expected = plainExact(m, PROMPT, 30).strip();
            String address = server.address();
            List<String[]> schemes = List.of(new String[] {"--scheme", "remo", "--numeric", "exact"}, new String[] {"--scheme", "remo-otp"},
                    new String[] {"--scheme", "shares", "--weights-server-b", address}); // shares: both roles on the one server
            for (String[] scheme : schemes) {
                List<String> args = new ArrayList<>(List.of("generate", "--model", model, "--weights-server", address, "--prompt", PROMPT,
                        "--max-tokens", "30", "--temperature", "0"));
                args.addAll(List.of(scheme));
                var run = CliRun.of(args.toArray(String[]::new));
                assertEquals(0, run.code(), String.join(" ", scheme) + ": " + run.err());
                assertEquals(expected, run.out().strip(), String.join(" ", scheme));
            }
            // remo over Z_2^32 against the z32 export (its int graph): the plain engine's z32 text
            var z32run = CliRun.of("generate", "--model", model, "--weights-server", address, "--prompt", PROMPT, "--max-tokens", "30",
                    "--temperature", "0", "--scheme", "remo", "--numeric", "z32");
            assertEquals(0, z32run.code(), z32run.err());
            assertEquals(plain(m, Numeric.Z32, PROMPT, 30).strip(), z32run.out().strip(), "remo z32");
            // a numeric mode the server has no export for: the node is told in one line, nothing hangs
            var floats = CliRun.of("generate", "--model", model, "--weights-server", address, "--prompt", PROMPT, "--max-tokens", "3",
                    "--scheme", "remo", "--numeric", "float");
            assertEquals(1, floats.code(), floats.err());
            assertTrue(floats.err().contains("serves [z32, z64] products only"), floats.err());
        } finally {
            server.process().destroy();
            assertTrue(server.process().waitFor(30, TimeUnit.SECONDS));
        }
    }

    /**
     * `--engine routed`: ONNX Runtime on the export for batches from --engine-min-rows rows (the prompt's prefill), the
     * Java kernels on --model for fewer (each decoded token); the text is the plain exact engine's, and the server's
     * metrics show rows on both engines. The Java side may read the same weights from another file (the GGUF conversion
     * of the exported checkpoint), not another model's.
     */
    @Test
    void routedEngineGivesThePlainExactTextWithBothEnginesAtWork(@TempDir Path dir) throws Exception {
        String model = Shared.storiesBin().toString();
        Path repo = dir.resolve("exact");
        var export = CliRun.of("export", "--model", model, "--numeric", "exact", "--format", "onnx", "--out", repo.toString());
        assertEquals(0, export.code(), export.err());
        var server = WeightsServerProcess.start(veil("weights-server", "--engine", "routed", "--model", Shared.storiesGguf().toString(),
                "--repository", repo.toString(), "--engine-min-rows", "4", "--port", "0", "--metrics-port", "0"));
        try {
            String line = server.lines().stream().filter(l -> l.contains("listening on")).findFirst().orElseThrow();
            assertTrue(line.contains("routed: java kernels below the threshold, onnxruntime 1.23.2 (cpu; [z64]) from it (z64 from 4 rows)"),
                    line);
            Model m = ModelLoader.load(Shared.storiesBin(), null);
            var run = CliRun.of("generate", "--model", model, "--weights-server", server.address(), "--prompt", PROMPT, "--max-tokens", "30",
                    "--temperature", "0", "--scheme", "remo", "--numeric", "exact");
            assertEquals(0, run.code(), run.err());
            assertEquals(plainExact(m, PROMPT, 30).strip(), run.out().strip());
            var url = java.util.regex.Pattern.compile("metrics on (http://\\S+/metrics)").matcher(String.join("\n", server.lines()));
            assertTrue(url.find());
            String metrics = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                    java.net.URI.create(url.group(1))).build(), java.net.http.HttpResponse.BodyHandlers.ofString()).body();
            long javaRows = counter(metrics, "rows", "java"), ortRows = counter(metrics, "rows", "onnxruntime");
            long javaBatches = counter(metrics, "batches", "java"), ortBatches = counter(metrics, "batches", "onnxruntime");
            assertTrue(javaRows > 0 && ortRows > 0, "rows on both engines: " + metrics);
            // z64 from 4 rows: every batch of ONNX Runtime's has at least 4, every one of the Java kernels' fewer
            assertTrue(ortRows >= 4 * ortBatches && javaRows <= 3 * javaBatches, metrics);
        } finally {
            server.process().destroy();
            assertTrue(server.process().waitFor(30, TimeUnit.SECONDS));
        }
        Path other = dir.resolve("other.gguf");
        assertEquals(0, CliRun.of("make-model", "--shape", "tiny-llama", "--type", "Q8_0", "--out", other.toString()).code());
        var wrong = CliRun.of("weights-server", "--engine", "routed", "--model", other.toString(), "--repository", repo.toString());
        assertEquals(1, wrong.code());
        assertTrue(wrong.err().startsWith("veil: --model is not the model exported in --repository: "), wrong.err());
        assertEquals(1, wrong.err().strip().lines().count(), wrong.err());
    }

    static String plain(Model m, Numeric numeric, String prompt, int tokens) {
        int[] input = SamplingOptions.input(m.tokenizer(), prompt);
        int[] out = new Generator(m, numeric.plain(m.config(), m.linear())).generate(input, tokens, Sampler.greedy(), t -> {});
        return m.tokenizer().decode(input[input.length - 1], out);
    }

    @Test
    void wrongEngineOptionsAreOneLine(@TempDir Path dir) throws java.io.IOException {
        String model = Shared.storiesBin().toString();
        var run = CliRun.of("weights-server", "--engine", "onnxruntime", "--repository", dir.toString());
        assertEquals(1, run.code());
        assertEquals("veil: " + dir + " is not a Veil export (no veil-export.json): write one with veil export", run.err().strip());
        Files.writeString(dir.resolve("veil-export.json"), "{\"format\": 1}"); // an export of the layout before the node's names
        run = CliRun.of("weights-server", "--engine", "onnxruntime", "--repository", dir.toString());
        assertEquals("veil: " + dir.resolve("veil-export.json") + " has layout version 1; this Veil reads 2: export the model again",
                run.err().strip());
        run = CliRun.of("weights-server", "--engine", "onnxruntime", "--model", model, "--repository", dir.toString());
        assertEquals("veil: --engine onnxruntime serves the weights of its --repository: drop --model (or route between both engines with "
                + "--engine routed)", run.err().strip());
        run = CliRun.of("weights-server", "--engine", "routed", "--repository", dir.toString());
        assertEquals("veil: --engine routed needs --model (for the Java kernels) beside --repository", run.err().strip());
        run = CliRun.of("weights-server", "--engine", "onnxruntime", "--engine-min-rows", "8", "--repository", dir.toString());
        assertEquals("veil: --engine-min-rows is for --engine routed", run.err().strip());
        run = CliRun.of("weights-server", "--engine", "routed", "--engine-min-rows", "0", "--model", model, "--repository", dir.toString());
        assertEquals("veil: --engine-min-rows must be 1 or more", run.err().strip());
        run = CliRun.of("weights-server", "--model", model, "--repository", dir.toString());
        assertEquals("veil: --repository is for --engine onnxruntime or routed", run.err().strip());
        run = CliRun.of("weights-server", "--engine", "onnxruntime");
        assertEquals("veil: --engine onnxruntime needs --repository DIR (write one with veil export)", run.err().strip());
        run = CliRun.of("weights-server", "--engine", "tensorflow", "--model", model);
        assertEquals("veil: unknown --engine 'tensorflow' (java, onnxruntime, routed)", run.err().strip());
        run = CliRun.of("weights-server");
        assertEquals("veil: give --model (or --engine onnxruntime --repository DIR)", run.err().strip());
    }

    @Test
    void cudaWithoutItsProviderIsOneLine(@TempDir Path dir) {
        var export = CliRun.of("export", "--model", Shared.storiesBin().toString(), "--numeric", "z32", "--format", "onnx", "--out",
                dir.resolve("z32").toString());
        assertEquals(0, export.code(), export.err());
        var run = CliRun.of("weights-server", "--engine", "onnxruntime", "--repository", dir.resolve("z32").toString(), "--device", "cuda");
        assertEquals(1, run.code());
        assertTrue(run.err().startsWith("veil: this ONNX Runtime has no CUDA provider (available: [CPU]); run with --device cpu"), run.err());
        assertEquals(1, run.err().strip().lines().count(), run.err());
    }

    /** A counter of the server's /metrics: {@code veil_engine_NAME_total{engine="ENGINE"}}. */
    static long counter(String metrics, String name, String engine) {
        var m = java.util.regex.Pattern.compile("veil_engine_" + name + "_total\\{engine=\"" + engine + "\"} (\\d+)").matcher(metrics);
        assertTrue(m.find(), "no " + name + " of " + engine + " in " + metrics);
        return Long.parseLong(m.group(1));
    }
}
