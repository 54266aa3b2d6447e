package dev.veil.cli;

import dev.veil.engine.inference.Generator;
import dev.veil.engine.inference.LocalLinearOps;
import dev.veil.engine.inference.Sampler;
import dev.veil.engine.model.Model;
import dev.veil.engine.model.ModelLoader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Generates text, streaming it to stdout; everything else goes to stderr. */
@Command(name = "generate", mixinStandardHelpOptions = true, description = "Generate text from a prompt.")
final class GenerateCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "GGUF file or llama2.c checkpoint")
    Path model;

    @Option(names = "--tokenizer", description = "llama2.c tokenizer.bin (default: beside the checkpoint)")
    Path tokenizer;

    @Option(names = "--prompt", defaultValue = "", description = "prompt text; empty starts from BOS")
    String prompt;

    @Option(names = "--max-tokens", defaultValue = "256", description = "tokens to generate at most")
    int maxTokens;

    @Option(names = "--temperature", defaultValue = "0", description = "0 for greedy")
    float temperature;

    @Option(names = "--top-k", defaultValue = "0", description = "0 keeps all") int topK;
    @Option(names = "--top-p", defaultValue = "1") float topP;
    @Option(names = "--min-p", defaultValue = "0") float minP;
    @Option(names = "--seed", defaultValue = "42") long seed;

    @Override
    public Integer call() throws Exception {
        if (maxTokens < 0) throw new IllegalArgumentException("--max-tokens must not be negative");
        Model m = ModelLoader.load(model, tokenizer);
        var tok = m.tokenizer();
        int[] encoded = tok.encode(prompt);
        int[] input = new int[encoded.length + 1];
        input[0] = tok.bos();
        System.arraycopy(encoded, 0, input, 1, encoded.length);

        var out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true, StandardCharsets.UTF_8);
        var stream = new TextStream(tok, input[input.length - 1], out);
        var gen = new Generator(m, new LocalLinearOps(m.config(), m.linear()));
        long t0 = System.nanoTime();
        int[] generated = gen.generate(input, maxTokens, new Sampler(temperature, topK, topP, minP, seed), stream::accept);
        stream.finish();
        double s = (System.nanoTime() - t0) / 1e9;
        System.err.printf("%n[%d prompt + %d generated tokens in %.2f s, %.1f tokens/s]%n",
                input.length, generated.length, s, (input.length + generated.length) / s);
        return 0;
    }
}
