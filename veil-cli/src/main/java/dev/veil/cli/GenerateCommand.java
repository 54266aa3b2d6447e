package dev.veil.cli;

import dev.veil.engine.inference.Generator;
import dev.veil.engine.inference.LinearOps;
import dev.veil.engine.model.Model;
import dev.veil.engine.model.ModelLoader;
import dev.veil.engine.inference.Sampler;
import dev.veil.engine.tokenizer.ChatPrompt;
import dev.veil.engine.tokenizer.ChatTemplate;
import dev.veil.protocol.ModelDims;
import dev.veil.protocol.transcript.TranscriptWriter;
import java.io.IOException;
import java.util.List;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Generates text, streaming it to stdout; everything else goes to stderr. */
@Command(name = "generate", mixinStandardHelpOptions = true, description = "Generate text from a prompt.")
final class GenerateCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "GGUF file or llama2.c checkpoint")
    Path model;

    @Option(names = "--tokenizer", description = "llama2.c tokenizer.bin (default: beside the checkpoint)")
    Path tokenizer;

    @Option(names = "--scheme", defaultValue = "plain",
            description = "plain (the engine alone), remo (weights server and trusted node in-process, every linear layer masked), "
                    + "remo-otp (the same with one-time-pad masks, exact modes only; see docs/otp.md) "
                    + "or cmif (in-process: the prompt sanitized, the decoder layers on the weights server)")
    String scheme;

    @Option(names = "--transcript", description = "remo, remo-otp: record the weights server's view of every call to this file")
    Path transcript;

    @Option(names = "--chat", description = "wrap the prompt as a user message in the model's chat template; stop at end of turn")
    boolean chat;

    @Option(names = "--system", description = "system prompt for --chat")
    String system;

    @Mixin SamplingOptions sampling;
    @Mixin RemoOptions remo;
    @Mixin CmifOptions cmif;
    @Mixin OtpOptions otpOptions;

    @Override
    public Integer call() throws Exception {
        var sampler = sampling.sampler();
        Model m = ModelLoader.load(model, tokenizer);
        var tok = m.tokenizer();
        if (system != null && !chat) throw new IllegalArgumentException("--system needs --chat");
        ChatPrompt rendered = chat ? ChatTemplate.forModel(tok, m.config().architecture())
                .render(ChatTemplate.singleTurn(system, sampling.prompt), true) : null;
        int[] input = chat ? rendered.tokens() : SamplingOptions.input(tok, sampling.prompt);
        if (scheme.equals("cmif")) return cmif(m, input, chat ? userTokens(m, rendered) : SamplingOptions.userTokens(tok, input), sampler);

        if (transcript != null && scheme.equals("plain")) throw new IllegalArgumentException("--transcript needs --scheme remo or remo-otp");
        String id = model.getFileName().toString();
        var writer = transcript == null ? null : new TranscriptWriter(transcript, id, ModelDims.of(m.config()));
        InProcessSplit split = null;
        OtpSplit otp = null;
        try {
            LinearOps linear = switch (scheme) {
                case "plain" -> remo.numeric().plain(m.config(), m.linear());
                case "remo" -> {
                    split = new InProcessSplit(m, id, remo.config(), writer);
                    RemoReport.setup(System.err, split.node, remo.describe());
                    yield split.node.linear();
                }
                case "remo-otp" -> {
                    otp = new OtpSplit(m, id, otpOptions.config(remo.ringFallback()), writer);
                    OtpReport.setup(System.err, otp.node);
                    yield otp.node.linear();
                }
                default -> throw new IllegalArgumentException("unknown scheme '" + scheme + "' (plain, remo, remo-otp, cmif)");
            };
            var out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true, StandardCharsets.UTF_8);
            // A chat answer reads as a text of its own; a plain prompt's continuation follows its last token.
            var stream = new TextStream(tok, chat ? -1 : input[input.length - 1], out);
            long t0 = System.nanoTime();
            int[] generated = new Generator(m, linear).generate(input, sampling.maxTokens, sampler, stream::accept);
            stream.finish();
            double s = (System.nanoTime() - t0) / 1e9;
            System.err.printf("%n[%d prompt + %d generated tokens in %.2f s, %.1f tokens/s]%n",
                    input.length, generated.length, s, (input.length + generated.length) / s);
            if (split != null) RemoReport.calls(System.err, split.node, input.length + generated.length);
            if (otp != null) OtpReport.calls(System.err, otp.node, input.length + generated.length);
        } finally {
            if (split != null) split.close();
            if (otp != null) otp.close();
            if (writer != null) writer.close();
        }
        return 0;
    }

    /** CMIF in one process: sanitize, run the layers on the in-process weights server, report the spend. */
    private int cmif(Model m, int[] input, boolean[] user, Sampler sampler) throws IOException {
        var tok = m.tokenizer();
        try (var split = new CmifInProcess(m, model.getFileName().toString(), cmif.sanitizer(m))) {
            System.err.println("veil: CMIF in-process; sanitizer " + cmif.describe());
            var out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true, StandardCharsets.UTF_8);
            var stream = new TextStream(tok, chat ? -1 : input[input.length - 1], out);
            long t0 = System.nanoTime();
            var result = split.node.generate(input, user, sampling.maxTokens, sampler, stream::accept);
            stream.finish();
            double s = (System.nanoTime() - t0) / 1e9;
            System.err.printf("%n[%d prompt + %d generated tokens in %.2f s, %.1f tokens/s]%n",
                    input.length, result.generated().length, s, (input.length + result.generated().length) / s);
            CmifReport.request(System.err, tok, input, result);
        }
        return 0;
    }

    /**
     * The user's own tokens of a chat: not the template's, and not the system prompt (an instruction, which
     * CMIF never touches): those are the positions the system-only rendering does not already cover.
     */
    private boolean[] userTokens(Model m, ChatPrompt rendered) {
        boolean[] user = rendered.template();
        for (int i = 0; i < user.length; i++) user[i] = !user[i];
        if (system != null) {
            int[] prefix = ChatTemplate.forModel(m.tokenizer(), m.config().architecture())
                    .render(List.of(new ChatTemplate.Message(ChatTemplate.Role.SYSTEM, system)), false).tokens();
            int[] all = rendered.tokens();
            for (int i = 0; i < Math.min(prefix.length, all.length) && prefix[i] == all[i]; i++) user[i] = false;
        }
        return user;
    }
}
