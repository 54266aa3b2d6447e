package dev.veil.cli;

import dev.veil.engine.model.Model;
import dev.veil.engine.model.ModelLoader;
import dev.veil.engine.model.ModelParts;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * The model a command loads and its tokenizer: {@code --model} (required) and {@code --tokenizer}, one declaration
 * for every command that loads a whole model file (generate, serve, node, the benches).
 */
public final class ModelOptions {
    @Option(names = "--model", required = true, description = "GGUF file or llama2.c checkpoint")
    Path model;

    @Option(names = "--tokenizer", description = "llama2.c tokenizer.bin (default: beside the checkpoint)")
    Path tokenizer;

    public Path model() {
        return model;
    }

    /** The tokenizer file given, or null: the model's own, or the one beside the checkpoint. */
    public Path tokenizer() {
        return tokenizer;
    }

    public Model load() throws java.io.IOException {
        return ModelLoader.load(model, tokenizer);
    }

    public Model load(ModelParts parts) throws java.io.IOException {
        return ModelLoader.load(model, tokenizer, parts);
    }
}
