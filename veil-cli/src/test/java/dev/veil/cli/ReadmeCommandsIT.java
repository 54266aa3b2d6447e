package dev.veil.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.veil.engine.Shared;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every command line of the shell blocks in README.md and the quick starts of docs/serve.md, trust.md, oip.md and deploy.md, run as
 * shown: through ./veil (the built veil.jar) and the real curl, one block at a time, in a scratch directory laid out as
 * a checkout is ({@code ../shared} beside it, its own HOME), so a document that drifts from the CLI fails the build.
 *
 * <p>A block's lines run in order. A server ({@code veil serve}, {@code proxy}, {@code weights-server}) runs in the
 * background until it says it is ready, and is stopped when its block ends; every other command must exit 0. Comment
 * lines right under a command are its output: each comment line's parts between "..." must appear, in order, in what
 * the command printed. The documents' example ports are swapped for free ones, and the attack lab's commands run at a
 * small size (fewer training sentences and epochs, no inversion; the victim workload stays as written). A block the
 * tests cannot run here (it needs an SEV-SNP host, say) carries {@code <!-- not run by the tests: why -->} on the line
 * above it.
 */
class ReadmeCommandsIT {
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    private static final List<String> DOCUMENTS = List.of("README.md", "docs/serve.md", "docs/trust.md", "docs/oip.md", "docs/deploy.md");
    private static final String SKIP = "<!-- not run by the tests:";
    private static final Pattern SERVER = Pattern.compile("^\\./veil (serve|proxy|weights-server)\\b");
    private static final Pattern READY = Pattern.compile("ready on |listening on ");
    private static final Pattern EXAMPLE_PORT = Pattern.compile("\\b(7070|8000|8001|8080|8081|8443)\\b");
    /** Appended to the attack lab's commands (options they do not set already): a small attacker, same victims. */
    private static final List<String> SMALL = List.of("--train-sentences", "40", "--epochs", "2", "--hidden", "32", "--inversion-steps",
            "0", "--no-similarity", "--cost-tokens", "2", "--cost-runs", "1");
    /** Bounds a hang only; every wait below ends on a condition. */
    private static final Duration HANG = Duration.ofMinutes(5);

    @TempDir Path scratch;

    /** One command line (continuations joined) and the output lines documented under it. */
    record Step(int line, String command, List<String> output) {}

    record Block(String document, int line, List<Step> steps, String skipped) {}

    @TestFactory
    Stream<DynamicTest> everyDocumentedCommandRuns() throws IOException {
        List<DynamicTest> tests = new ArrayList<>();
        for (String doc : DOCUMENTS) {
            for (Block b : blocks(doc, Files.readAllLines(ROOT.resolve(doc)))) {
                if (b.skipped() != null) {
                    assertFalse(b.skipped().isBlank(), doc + ":" + b.line() + " is skipped without a reason");
                    continue;
                }
                tests.add(DynamicTest.dynamicTest(doc + ":" + b.line(), () -> run(b)));
            }
        }
        assertTrue(tests.size() >= 6, "too few runnable blocks found: " + tests.size());
        return tests.stream();
    }

    static List<Block> blocks(String doc, List<String> lines) {
        List<Block> blocks = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            if (!lines.get(i).strip().equals("```sh")) continue;
            String before = i > 0 ? lines.get(i - 1).strip() : "";
            String skipped = before.startsWith(SKIP) ? before.substring(SKIP.length()).replace("-->", "").strip() : null;
            int start = i + 1;
            List<Step> steps = new ArrayList<>();
            for (i = start; !lines.get(i).strip().equals("```"); i++) {
                String line = lines.get(i);
                if (line.startsWith("#")) {
                    if (steps.isEmpty()) throw new IllegalStateException(doc + ":" + (i + 1) + ": output documented before any command");
                    steps.getLast().output().add(line.replaceFirst("^# ?", ""));
                    continue;
                }
                if (line.isBlank()) continue;
                int first = i;
                StringBuilder command = new StringBuilder();
                while (line.endsWith("\\")) {
                    command.append(line, 0, line.length() - 1).append(' ');
                    line = lines.get(++i).strip();
                }
                steps.add(new Step(first + 1, command.append(line).toString().strip(), new ArrayList<>()));
            }
            blocks.add(new Block(doc, start, steps, skipped));
        }
        return blocks;
    }

    private void run(Block block) throws Exception {
        // a fresh checkout per block: each block is a walk-through of its own
        Path dir = Files.createTempDirectory(scratch, "block"), work = Files.createDirectories(dir.resolve("checkout"));
        Path home = Files.createDirectories(dir.resolve("home"));
        Path shared = Files.createSymbolicLink(dir.resolve("shared"), Shared.root().toAbsolutePath());
        Path veil = work.resolve("veil");
        Files.writeString(veil, "#!/bin/sh\nexec '" + ROOT.resolve("veil") + "' \"$@\"\n");
        Files.setPosixFilePermissions(veil, PosixFilePermissions.fromString("rwxr-xr-x"));
        Map<String, String> ports = new HashMap<>();
        List<Process> servers = new ArrayList<>();
        try {
            for (Step step : block.steps()) {
                String where = block.document() + ":" + step.line() + ": ";
                if (step.command().startsWith("./mvnw")) continue; // the build that runs this test
                String command = sized(ports(step.command(), ports));
                List<String> expected = step.output().stream().map(o -> ports(o, ports)).toList();
                var builder = new ProcessBuilder("bash", "-c", command).directory(work.toFile());
                builder.environment().put("HOME", home.toString());
                builder.environment().put("VEIL_SHARED", Shared.root().toAbsolutePath().toString());
                builder.environment().put("VEIL_STATE", dir.resolve("state").toString()); // serve's privacy ledger, the block's own
                Path out = Files.createTempFile(scratch, "out", ".txt");
                builder.redirectErrorStream(true).redirectOutput(out.toFile());
                Process p = builder.start();
                if (SERVER.matcher(command).find()) {
                    servers.add(p);
                    String log = awaitReady(p, out);
                    assertTrue(READY.matcher(log).find(), where + "`" + command + "` stopped before it was ready:\n" + log);
                    assertPrinted(where, command, expected, log);
                } else {
                    if (!p.waitFor(HANG.toSeconds(), TimeUnit.SECONDS)) fail(where + "`" + command + "` hung:\n" + Files.readString(out));
                    String printed = Files.readString(out);
                    assertEquals(0, p.exitValue(), where + "`" + command + "` failed:\n" + printed);
                    assertPrinted(where, command, expected, printed);
                }
            }
        } finally {
            for (Process p : servers) stop(p);
            Files.delete(shared); // a link out of the temporary folder, which JUnit would warn about
        }
    }

    /** Waits until a server says it is ready or exits; returns what it printed by then. */
    private static String awaitReady(Process p, Path out) throws Exception {
        long deadline = System.nanoTime() + HANG.toNanos();
        while (System.nanoTime() < deadline) {
            String log = Files.readString(out);
            if (READY.matcher(log).find() || !p.isAlive()) return log;
            p.waitFor(50, TimeUnit.MILLISECONDS);
        }
        return Files.readString(out);
    }

    private static void stop(Process p) throws InterruptedException {
        List<ProcessHandle> children = p.descendants().toList();
        p.destroy();
        children.forEach(ProcessHandle::destroy);
        if (!p.waitFor(30, TimeUnit.SECONDS)) p.destroyForcibly();
        children.forEach(ProcessHandle::destroyForcibly);
    }

    /** Each documented output line's parts between "..." appear in {@code printed}, in order. */
    private static void assertPrinted(String where, String command, List<String> expected, String printed) {
        int at = 0;
        for (String line : expected) {
            for (String part : line.split("\\.\\.\\.")) {
                String p = part.strip();
                if (p.isEmpty()) continue;
                int found = printed.indexOf(p, at);
                assertTrue(found >= 0, where + "`" + command + "` did not print \"" + p + "\" (after what it matched before); it printed:\n"
                        + printed);
                at = found + p.length();
            }
        }
    }

    /** The documents' example ports, swapped for free ones (the same one for the same port within a block). */
    private static String ports(String text, Map<String, String> ports) {
        Matcher m = EXAMPLE_PORT.matcher(text);
        StringBuilder out = new StringBuilder();
        while (m.find()) m.appendReplacement(out, ports.computeIfAbsent(m.group(1), p -> String.valueOf(freePort())));
        return m.appendTail(out).toString();
    }

    private static int freePort() {
        try (var s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** The attack lab's commands at a small size: the options in {@link #SMALL} they take and do not set. */
    private static String sized(String command) {
        Matcher lab = Pattern.compile("^\\./veil (attack|privacy-report)\\b").matcher(command);
        if (!lab.find()) return command;
        StringBuilder out = new StringBuilder(command);
        for (int i = 0; i < SMALL.size(); ) {
            String option = SMALL.get(i++);
            boolean takesValue = i < SMALL.size() && !SMALL.get(i).startsWith("--");
            String value = takesValue ? SMALL.get(i++) : null;
            boolean costOption = option.startsWith("--cost-");
            if (command.contains(option) || costOption && lab.group(1).equals("attack")) continue;
            out.append(' ').append(option);
            if (value != null) out.append(' ').append(value);
        }
        return out.toString();
    }
}
