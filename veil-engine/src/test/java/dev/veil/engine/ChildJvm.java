package dev.veil.engine;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The command line of a JVM a test starts for a probe: this JVM's java, the Vector API module and this JVM's vector
 * width flags ({@code -XX:UseAVX}, {@code -XX:MaxVectorSize}, {@code -Dveil.vectorBits}), so that a surefire execution
 * emulating another CPU (veil-engine's pom) probes that CPU too, not the machine's own width.
 */
public final class ChildJvm {
    private static final List<String> WIDTH_FLAGS = List.of("-XX:UseAVX=", "-XX:MaxVectorSize=", "-Dveil.vectorBits=");

    private ChildJvm() {}

    /** java, the module options, this JVM's width flags, then {@code options} (which win over them). */
    public static List<String> command(String... options) {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"));
        command.addAll(widthFlags());
        command.addAll(List.of(options));
        return command;
    }

    /** This JVM's options that set the vector width. */
    public static List<String> widthFlags() {
        return ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                .filter(a -> WIDTH_FLAGS.stream().anyMatch(a::startsWith)).toList();
    }
}
