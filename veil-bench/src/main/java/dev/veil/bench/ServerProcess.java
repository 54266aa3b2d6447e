package dev.veil.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * {@code veil weights-server} as a child process on a free loopback port: for benchmarks that must tell the
 * trusted node's CPU time from the server's (each process's own counters then separate them).
 */
public final class ServerProcess implements AutoCloseable {
    private final Process process;
    private final Thread reaper;
    public final int port;

    private static final Pattern LISTENING = Pattern.compile("^veil weights-server: listening on \\S*:(\\d+), ");

    private ServerProcess(Process process, int port) {
        this.process = process;
        this.port = port;
        this.reaper = new Thread(process::destroy, "veil-server-reaper"); // the child goes with this process, however it ends
        Runtime.getRuntime().addShutdownHook(reaper);
    }

    /**
     * @param main the class whose {@code weights-server} command starts the server (the CLI's main class)
     * @param options more options of {@code weights-server}
     */
    public static ServerProcess start(Path model, String modelId, String main, String... options) throws IOException {
        List<String> cmd = new ArrayList<>(serverJavaCommand());
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), main,
                "weights-server", "--model", model.toString(), "--model-id", modelId, "--port", "0",
                "--exit-with", String.valueOf(ProcessHandle.current().pid()))); // even if this process is killed outright
        cmd.addAll(List.of(options));
        Process p = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        // Its log goes to stderr; the line "veil weights-server: listening on HOST:PORT, serving ..." says the port.
        var err = new BufferedReader(new InputStreamReader(p.getErrorStream(), StandardCharsets.UTF_8));
        String line, last = null;
        while ((line = err.readLine()) != null) {
            var m = LISTENING.matcher(line);
            if (m.find()) {
                // drained, so that it never blocks on its log; the stream fails once the server is gone
                Thread.ofPlatform().daemon().name("veil-server-log").start(() -> {
                    try {
                        err.lines().forEach(l -> {});
                    } catch (java.io.UncheckedIOException gone) {
                        // the server process ended
                    }
                });
                return new ServerProcess(p, Integer.parseInt(m.group(1)));
            }
            if (!line.startsWith("WARNING: Using incubator modules")) last = line;
        }
        p.destroyForcibly();
        throw new IOException("the weights server process did not start" + (last == null ? "" : ": " + last));
    }

    /** This JVM's java with the options the launcher gives Veil's processes (the child's own options follow). */
    static List<String> javaCommand() {
        return List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "--add-modules", "jdk.incubator.vector",
                "--enable-native-access=ALL-UNNAMED", "-XX:+UseParallelGC", "-Xmn32m");
    }

    public long pid() {
        return process.pid();
    }

    /**
     * The java command the launcher gives {@code veil weights-server} (the veil script): G1, with a full collection after
     * 5 s without one, so the heap that hostile peers made it hold is given back once they leave. {@code
     * -Dveil.bench.serverGc=A,B} replaces the collector's options, to compare.
     */
    public static List<String> serverJavaCommand() {
        List<String> cmd = new ArrayList<>(javaCommand().subList(0, javaCommand().size() - 2));
        cmd.addAll(List.of(System.getProperty("veil.bench.serverGc", String.join(",", SERVER_GC)).split(",")));
        return cmd;
    }

    /** The weights server's collector options, as the veil script gives them. */
    static final List<String> SERVER_GC = List.of("-XX:+UseG1GC", "-XX:G1PeriodicGCInterval=5000", "-XX:-G1PeriodicGCInvokesConcurrent");

    /** CPU time the server process has used so far (all its threads), or -1 where the system does not tell. */
    public long cpuNanos() {
        return process.info().totalCpuDuration().map(Duration::toNanos).orElse(-1L);
    }

    @Override
    public void close() {
        try {
            Runtime.getRuntime().removeShutdownHook(reaper);
        } catch (IllegalStateException e) {
            // shutting down: the hook runs anyway
        }
        process.destroy();
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) process.destroyForcibly();
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
