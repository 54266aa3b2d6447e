package dev.veil.trust;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * SHA-384 over the code this process runs: every file of its class path, in class path order (directories
 * walked in name order), each as its relative name and content. The simulated stand-in for SEV-SNP's launch
 * measurement, which covers the guest's whole initial memory instead.
 */
public final class CodeMeasurement {
    private CodeMeasurement() {}

    private static volatile byte[] classPath;

    /** This process's class path, measured once (it does not change while the process runs). */
    public static byte[] ofClassPath() {
        byte[] m = classPath;
        if (m == null) classPath = m = measureClassPath();
        return m.clone();
    }

    private static byte[] measureClassPath() {
        var entries = new ArrayList<Path>();
        for (String e : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) if (!e.isEmpty()) entries.add(Path.of(e));
        return of(entries);
    }

    public static byte[] of(List<Path> classPath) {
        try {
            var sha = MessageDigest.getInstance("SHA-384");
            for (Path entry : classPath) {
                if (Files.isRegularFile(entry)) {
                    add(sha, entry.getFileName().toString(), entry);
                } else if (Files.isDirectory(entry)) {
                    try (Stream<Path> files = Files.walk(entry)) {
                        for (Path f : files.filter(Files::isRegularFile).sorted().toList()) add(sha, entry.relativize(f).toString(), f);
                    }
                }
            }
            return sha.digest();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot measure the class path: " + e.getMessage(), e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void add(MessageDigest sha, String name, Path file) throws IOException {
        sha.update(name.getBytes(StandardCharsets.UTF_8));
        sha.update((byte) 0);
        sha.update(Files.readAllBytes(file));
    }
}
