package dev.veil.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A {@code veil weights-server} process whose log (stderr) goes to a file: where it listens, from its line
 * "veil weights-server: listening on HOST:PORT, serving ...", and its log lines. (A file, not a pipe: a pipe must be
 * drained, and the JDK may close it under a reader when the process ends, losing the last lines.)
 */
record WeightsServerProcess(Process process, String address, Path log) {
    static final Pattern LISTENING = Pattern.compile("^veil weights-server: listening on (\\S+), serving ", Pattern.MULTILINE);
    /** The JVM's own notice (the veil launcher filters it out). */
    static final String JVM_NOTICE = "WARNING: Using incubator modules";

    /** Starts {@code builder} with its stderr to {@code log}, and waits (up to two minutes) until it says where it listens. */
    static WeightsServerProcess start(ProcessBuilder builder, Path log) throws IOException, InterruptedException {
        Process p = builder.redirectError(log.toFile()).start();
        for (long deadline = System.nanoTime() + 120_000_000_000L; System.nanoTime() < deadline; Thread.sleep(50)) {
            Matcher m = LISTENING.matcher(Files.readString(log, StandardCharsets.UTF_8));
            if (m.find()) return new WeightsServerProcess(p, m.group(1), log);
            if (!p.isAlive()) throw new AssertionError("the weights server ended before it listened: " + Files.readString(log));
        }
        p.destroyForcibly();
        throw new AssertionError("the weights server did not listen within 120 s: " + Files.readString(log));
    }

    /** As {@link #start(ProcessBuilder, Path)}, its log in a temporary file. */
    static WeightsServerProcess start(ProcessBuilder builder) throws IOException, InterruptedException {
        Path log = Files.createTempFile("veil-weights-server", ".log");
        log.toFile().deleteOnExit();
        return start(builder, log);
    }

    /** Its log lines so far (all of them once it has ended), without the JVM's notice. */
    List<String> lines() throws IOException {
        return Files.readAllLines(log, StandardCharsets.UTF_8).stream().filter(l -> !l.startsWith(JVM_NOTICE)).toList();
    }
}
