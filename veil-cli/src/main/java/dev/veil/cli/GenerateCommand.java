package dev.veil.cli;

import dev.veil.engine.inference.Generator;
import dev.veil.engine.inference.LocalLinearOps;
import dev.veil.engine.inference.Sampler;
import dev.veil.engine.model.Model;
import dev.veil.engine.model.ModelLoader;
import dev.veil.engine.tokenizer.ChatTemplate;
import dev.veil.engine.tokenizer.Tokenizer;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Generates text, streaming it to stdout; everything else goes to stderr. */
@Command(name = "generate", mixinStandardHelpOptions = true, description = "Generate text from a prompt, or answer it as a chat (--chat).")
final class GenerateCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "GGUF file or llama2.c checkpoint")
    Path model;

    @Option(names = "--tokenizer", description = "llama2.c tokenizer.bin (default: beside the checkpoint)")
    Path tokenizer;

    @Option(names = "--prompt", defaultValue = "", description = "prompt text; empty starts from BOS")
    String prompt;

    @Option(names = "--chat", description = "wrap the prompt as a user message in the model's chat template; stop at end of turn")
    boolean chat;

    @Option(names = "--system", description = "system prompt for --chat")
    String system;

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
        if (system != null && !chat) throw new IllegalArgumentException("--system needs --chat");
        Model m = ModelLoader.load(model, tokenizer);
        var tok = m.tokenizer();
        int[] input = chat
                ? ChatTemplate.forModel(tok, m.config().architecture()).render(ChatTemplate.singleTurn(system, prompt), true).tokens()
                : plainPrompt(tok, prompt);

        var out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true, StandardCharsets.UTF_8);
        // A chat answer reads as a text of its own; a plain prompt's continuation follows the prompt's last token.
        var stream = new TextStream(tok, chat ? -1 : input[input.length - 1], out);
        var gen = new Generator(m, new LocalLinearOps(m.config(), m.linear()));
        long t0 = System.nanoTime();
        int[] generated = gen.generate(input, maxTokens, new Sampler(temperature, topK, topP, minP, seed), stream::accept);
        stream.finish();
        double s = (System.nanoTime() - t0) / 1e9;
        System.err.printf("%n[%d prompt + %d generated tokens in %.2f s, %.1f tokens/s]%n",
                input.length, generated.length, s, (input.length + generated.length) / s);
        return 0;
    }

    /** BOS (when the model's texts start with one, or the prompt is empty) and the prompt's tokens. */
    static int[] plainPrompt(Tokenizer tok, String prompt) {
        int[] encoded = tok.encode(prompt);
        boolean bos = tok.addBos() || encoded.length == 0;
        if (bos && tok.bos() < 0) throw new IllegalArgumentException("the model has no BOS token to start an empty prompt");
        int[] input = new int[encoded.length + (bos ? 1 : 0)];
        if (bos) input[0] = tok.bos();
        System.arraycopy(encoded, 0, input, bos ? 1 : 0, encoded.length);
        return input;
    }
}
