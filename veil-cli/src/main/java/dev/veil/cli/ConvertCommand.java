package dev.veil.cli;

import dev.veil.engine.ModelFormatException;
import dev.veil.engine.model.GGUFModelWriter;
import dev.veil.engine.model.ModelLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** llama2.c checkpoint + tokenizer.bin to GGUF. */
@Command(name = "convert", mixinStandardHelpOptions = true,
        description = "Convert a llama2.c checkpoint and its tokenizer.bin to GGUF (tokenizer in tokenizer.ggml.* metadata).")
final class ConvertCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "llama2.c checkpoint (.bin)")
    Path model;

    @Option(names = "--tokenizer", description = "llama2.c tokenizer.bin (default: beside the checkpoint)")
    Path tokenizer;

    @Option(names = "--out", required = true, description = "GGUF file to write")
    Path out;

    @Option(names = "--type", defaultValue = "F32", description = "weight type: ${COMPLETION-CANDIDATES}; default ${DEFAULT-VALUE}",
            completionCandidates = TensorTypes.class, converter = TensorTypes.class)
    dev.veil.engine.tensor.GGMLType type;

    @Override
    public Integer call() throws Exception {
        if (!Files.isRegularFile(model)) throw new ModelFormatException("model file not found: " + model);
        if (ModelLoader.isGguf(model)) throw new ModelFormatException(model + " is already GGUF");
        Path tok = tokenizer != null ? tokenizer : ModelLoader.tokenizerBeside(model);
        long t0 = System.nanoTime();
        for (String note : GGUFModelWriter.convertLlama2c(model, tok, type, out)) System.err.println("note: " + note);
        System.err.printf("wrote %s (%s, %.1f MB) in %.1f s%n", out, type, Files.size(out) / 1e6, (System.nanoTime() - t0) / 1e9);
        return 0;
    }
}
