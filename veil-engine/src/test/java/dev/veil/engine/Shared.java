package dev.veil.engine;

import java.nio.file.Files;
import java.nio.file.Path;

/** Locates ../shared (models and data sets): VEIL_SHARED, else the build's default, else ../shared. */
public final class Shared {
    private Shared() {}

    public static Path root() {
        for (String v : new String[] {System.getenv("VEIL_SHARED"), System.getenv("VEIL_SHARED_DEFAULT")}) {
            if (v != null && Files.isDirectory(Path.of(v))) return Path.of(v);
        }
        return Path.of("..", "shared");
    }

    public static Path path(String relative) {
        Path p = root().resolve(relative);
        if (!Files.exists(p)) throw new IllegalStateException("missing shared file " + p + " (set VEIL_SHARED)");
        return p;
    }

    public static Path storiesBin() { return path("models/stories260K/stories260K.bin"); }
    public static Path storiesTokenizer() { return path("models/stories260K/tok512.bin"); }
    public static Path storiesGguf() { return path("models/stories260K/stories260K.gguf"); }
}
