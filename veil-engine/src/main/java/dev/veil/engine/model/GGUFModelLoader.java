package dev.veil.engine.model;

import java.nio.file.Path;

/** Builds a {@link Model} from a GGUF file (architectures llama, qwen2, qwen3). */
final class GGUFModelLoader {
    private GGUFModelLoader() {}

    static Model load(Path file) {
        throw new ModelFormatException(file + ": GGUF models are not supported yet");
    }
}
