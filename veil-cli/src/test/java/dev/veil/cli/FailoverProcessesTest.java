package dev.veil.cli;

import static dev.veil.cli.TalariaProcessesTest.veil;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.veil.engine.Shared;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Replica failover over real processes: `veil node` with two `veil weights-server` processes as replicas, the
 * first of which is killed (SIGKILL) or frozen (SIGSTOP) as soon as the answer starts streaming. The printed text
 * equals the text the same node prints against one healthy server, for remo-otp, remo (exact) and cmif (ε = ∞).
 * The freeze goes through `veil generate --weights-server`, which takes the node's options.
 */
@Timeout(600)
class FailoverProcessesTest {
    static final String MODEL = Shared.storiesBin().toString(), PROMPT = "Lily and Ben went to the park";
    static final int TOKENS = 150;

    @TempDir static Path dir;
    static Process healthy;
    static final java.util.Map<List<String>, String> SINGLE = new java.util.concurrent.ConcurrentHashMap<>();
    static String healthyAddress;

    static List<List<String>> schemes() {
        return List.of(List.of("--scheme", "remo-otp"), List.of("--scheme", "remo", "--numeric", "exact"),
                List.of("--scheme", "cmif", "--epsilon", "inf", "--corpus", Shared.path("data/sst2/test.tsv").toString()));
    }

    @BeforeAll
    static void startTheHealthyReplica() throws Exception {
        healthy = server();
        healthyAddress = address(healthy);
    }

    @AfterAll
    static void stopIt() throws Exception {
        healthy.destroy();
        assertTrue(healthy.waitFor(30, TimeUnit.SECONDS));
    }

    /** Where each server started here listens. */
    static final java.util.Map<Process, String> ADDRESSES = new java.util.concurrent.ConcurrentHashMap<>();

    static Process server() throws Exception {
        var server = WeightsServerProcess.start(veil("weights-server", "--model", MODEL, "--port", "0"));
        ADDRESSES.put(server.process(), server.address());
        return server.process();
    }

    static String address(Process server) {
        String address = ADDRESSES.get(server);
        assertTrue(address.startsWith("127.0.0.1:"), "server said " + address);
        return address;
    }

    /**
     * The per-call deadline of the freeze test, the deadline under test. It is every replica's (one --timeout), so it
     * is also what a healthy replica's call may take on a loaded machine: 3 s was missed by a healthy one.
     */
    static final int FROZEN_TIMEOUT = 10;

    /**
     * Runs the node with the default per-call deadline (60 s: a dead replica fails at once, and a healthy one is never
     * left for being slow); {@code started} runs once the first bytes of the answer arrive. Returns stdout, then stderr.
     */
    static String[] node(List<String> scheme, List<String> servers, Consumer<Void> started) throws Exception {
        return run("node", scheme, servers, List.of(), started);
    }

    /** Runs {@code command} (node or generate); {@code started} runs once the answer starts. Returns stdout, then stderr. */
    static String[] run(String command, List<String> scheme, List<String> servers, List<String> options, Consumer<Void> started)
            throws Exception {
        List<String> args = new ArrayList<>(List.of(command, "--model", MODEL, "--prompt", PROMPT, "--max-tokens", String.valueOf(TOKENS)));
        args.addAll(options);
        args.addAll(scheme);
        args.addAll(servers);
        Path err = Files.createTempFile(dir, "node", ".err");
        var builder = veil(args.toArray(String[]::new)).redirectError(err.toFile());
        builder.environment().put("VEIL_CACHE", dir.resolve("cache").toString());
        Process node = builder.start();
        var out = new ByteArrayOutputStream();
        try (var in = node.getInputStream()) {
            byte[] buffer = new byte[4096];
            boolean first = true;
            for (int n; (n = in.read(buffer)) >= 0; ) {
                out.write(buffer, 0, n);
                if (first && n > 0) {
                    first = false;
                    started.accept(null);
                }
            }
        }
        assertTrue(node.waitFor(120, TimeUnit.SECONDS));
        String errors = Files.readString(err);
        assertEquals(0, node.exitValue(), errors);
        return new String[] {out.toString(StandardCharsets.UTF_8), errors};
    }

    /** The same scheme against the healthy server alone (once per scheme). */
    static String single(List<String> scheme) throws Exception {
        String text = SINGLE.get(scheme);
        if (text == null) {
            text = node(scheme, List.of("--weights-server", healthyAddress), x -> {})[0];
            assertTrue(text.strip().length() > 200, "a long answer, to fail over in the middle of: " + text);
            SINGLE.put(scheme, text);
        }
        return text;
    }

    @Test
    void killingAReplicaMidGenerationChangesNoText() throws Exception {
        for (List<String> scheme : schemes()) {
            String expected = single(scheme);
            Process doomed = server();
            try {
                String a = address(doomed);
                String[] run = node(scheme, List.of("--weights-server", a + "," + healthyAddress), x -> doomed.destroyForcibly());
                assertEquals(expected, run[0], scheme.toString());
                assertTrue(run[1].contains("veil node: weights server " + a + " failed ("), run[1]);
                assertTrue(run[1].contains("the call runs again on weights server " + healthyAddress + ", afresh"), run[1]);
            } finally {
                doomed.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void freezingAReplicaMidGenerationChangesNoText() throws Exception {
        for (List<String> scheme : schemes()) {
            String expected = single(scheme);
            Process frozen = server();
            try {
                String a = address(frozen);
                String[] run = run("node", scheme, List.of("--weights-server", a, "--weights-server", healthyAddress),
                        List.of("--timeout", String.valueOf(FROZEN_TIMEOUT)), x -> signal("-STOP", frozen));
                assertEquals(expected, run[0], scheme.toString());
                assertTrue(run[1].contains("veil node: weights server " + a + " failed (no reply from weights server " + a + " within "
                        + FROZEN_TIMEOUT + " s)"), run[1]);
            } finally {
                signal("-CONT", frozen);
                frozen.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            }
        }
    }

    static void signal(String signal, Process p) {
        try {
            assertEquals(0, new ProcessBuilder("kill", signal, String.valueOf(p.pid())).start().waitFor());
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
