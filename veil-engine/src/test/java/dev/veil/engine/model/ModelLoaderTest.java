package dev.veil.engine.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.veil.engine.ModelFormatException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Files that are no model get an error naming the file and what was expected. */
class ModelLoaderTest {
    @Test
    void textFileIsNeitherFormat(@TempDir Path dir) throws Exception {
        Path f = Files.writeString(dir.resolve("notes.txt"), "root:x:0:0:root:/root:/bin/bash\n");
        var e = assertThrows(ModelFormatException.class, () -> ModelLoader.load(f, null));
        assertEquals(f + " is neither a GGUF file nor a llama2.c checkpoint", e.getMessage());
    }

    @Test
    void missingFileIsNamed(@TempDir Path dir) {
        Path f = dir.resolve("absent.gguf");
        var e = assertThrows(ModelFormatException.class, () -> ModelLoader.load(f, null));
        assertEquals("model file not found: " + f, e.getMessage());
    }
}
