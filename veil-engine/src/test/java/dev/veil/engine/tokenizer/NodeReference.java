package dev.veil.engine.tokenizer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Runs the independent reference tokenizers (npm llama-tokenizer-js@1.2.2 and llama3-tokenizer-js@1.2.0) through
 * node. bin/test-deps.sh (run by ./mvnw test) installs them into .veil-cache/npm, or VEIL_NPM names a
 * node_modules folder; when they are missing the tests fail and say how to install them, they never skip.
 */
final class NodeReference {
    static final String LLAMA2_PACKAGE = "llama-tokenizer-js", LLAMA2_VERSION = "1.2.2";
    static final String LLAMA3_PACKAGE = "llama3-tokenizer-js", LLAMA3_VERSION = "1.2.0";
    private static final String INSTALL = "npm install --prefix .veil-cache/npm --save-exact " + LLAMA2_PACKAGE + "@" + LLAMA2_VERSION
            + " " + LLAMA3_PACKAGE + "@" + LLAMA3_VERSION + " (bin/test-deps.sh does it before ./mvnw test)";

    private NodeReference() {}

    /** The node_modules folder holding {@code pkg} at {@code version}; fails the test with the fix when absent. */
    static Path modules(String pkg, String version) {
        String env = System.getenv("VEIL_NPM");
        Path modules = env != null ? Path.of(env) : findUp(Path.of(".veil-cache", "npm", "node_modules"));
        Path manifest = modules == null ? null : modules.resolve(pkg).resolve("package.json");
        if (manifest == null || !Files.isRegularFile(manifest)) {
            throw new AssertionError("reference tokenizer " + pkg + "@" + version + " is not installed ("
                    + (modules == null ? ".veil-cache/npm/node_modules not found" : manifest + " missing") + "); run " + INSTALL);
        }
        try {
            String json = Files.readString(manifest);
            if (!json.contains("\"version\": \"" + version + "\"")) {
                throw new AssertionError(manifest + " is not version " + version + "; run " + INSTALL);
            }
        } catch (IOException e) {
            throw new AssertionError("cannot read " + manifest, e);
        }
        return modules.toAbsolutePath();
    }

    private static Path findUp(Path relative) {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isDirectory(dir.resolve(relative))) return dir.resolve(relative);
        }
        return null;
    }

    /** Runs a script from src/test/resources/node with {@code args}, feeding it {@code input}; its stdout lines. */
    static List<String> run(String script, List<String> input, String... args) {
        try {
            Path file = Path.of(NodeReference.class.getResource("/node/" + script).toURI());
            List<String> cmd = new ArrayList<>(List.of("node", file.toString()));
            cmd.addAll(Arrays.asList(args));
            Process p;
            try {
                p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.PIPE).start();
            } catch (IOException e) {
                throw new AssertionError("cannot run node (needed for the reference tokenizers): " + e.getMessage());
            }
            var stdout = CompletableFuture.supplyAsync(() -> read(p.getInputStream()));
            var stderr = CompletableFuture.supplyAsync(() -> read(p.getErrorStream()));
            try (var in = p.getOutputStream()) {
                in.write((String.join("\n", input) + "\n").getBytes(StandardCharsets.UTF_8));
            }
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("node " + script + " did not finish in 120 s");
            }
            if (p.exitValue() != 0) throw new AssertionError("node " + script + " failed: " + stderr.join());
            String out = stdout.join();
            // Split on \n only: pieces may hold other line breaks.
            return Arrays.asList(out.substring(0, out.length() - (out.endsWith("\n") ? 1 : 0)).split("\n", -1));
        } catch (IOException | InterruptedException | java.net.URISyntaxException e) {
            throw new AssertionError("running node " + script, e);
        }
    }

    private static String read(java.io.InputStream in) {
        try {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Encodes each text with the reference for {@code which} ("llama2" or "llama3"): ids with BOS, no EOS. */
    static List<int[]> encode(String which, List<String> texts) {
        Path modules = which.equals("llama2") ? modules(LLAMA2_PACKAGE, LLAMA2_VERSION) : modules(LLAMA3_PACKAGE, LLAMA3_VERSION);
        List<String> lines = run("llama-encode.mjs", texts.stream().map(Json::quote).toList(), which, modules.toString());
        if (lines.size() != texts.size()) throw new AssertionError("reference returned " + lines.size() + " lines for " + texts.size() + " texts");
        return lines.stream().map(l -> l.isEmpty() ? new int[0] : Arrays.stream(l.split(" ")).mapToInt(Integer::parseInt).toArray()).toList();
    }
}
