package dev.veil.cli;

import java.nio.file.Files;
import java.nio.file.Path;

/** Files and folders an option names for reading: a missing one is "{what} {path} not found", checked before any work. */
final class InputFiles {
    private InputFiles() {}

    /** {@code path}, which must exist (null passes: the option was not given). */
    static Path existing(Path path, String what) {
        if (path != null && !Files.exists(path)) throw new IllegalArgumentException(what + " " + path + " not found");
        return path;
    }
}
