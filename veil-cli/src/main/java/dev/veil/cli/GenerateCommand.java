package dev.veil.cli;

import dev.veil.engine.model.Model;
import dev.veil.engine.tokenizer.ChatPrompt;
import dev.veil.engine.tokenizer.ChatTemplate;
import dev.veil.node.Scheme;
import dev.veil.protocol.ModelDims;
import dev.veil.protocol.transcript.TranscriptWriter;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Generates text through a scheme, its weights server in this process (or remote ones with --weights-server),
 * streaming the answer to stdout; everything else goes to stderr.
 */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Generate text from a prompt through a protection scheme (weights server in this process, or --weights-server).")
final class GenerateCommand implements Callable<Integer> {
    @picocli.CommandLine.Mixin ModelOptions modelFile;

    @Option(names = "--transcript", description = "record the weights server's view of every call to this file (shares: server A's)")
    Path transcript;

    @Option(names = "--transcript-b", description = "shares: record weights server B's view to this file")
    Path transcriptB;

    @Option(names = "--chat", description = "wrap the prompt as a user message in the model's chat template; stop at end of turn")
    boolean chat;

    @Option(names = "--system", description = "system prompt for --chat")
    String system;

    @Mixin SamplingOptions sampling;
    @Mixin SchemeOptions schemes;
    @Mixin WeightsServers weightsServers;
    @Mixin TlsOptions tlsOptions;
    @Mixin EvidenceOptions evidence;
    @Mixin EngineOptions engine;

    @Override
    public Integer call() throws Exception {
        if (system != null && !chat) throw new IllegalArgumentException("--system needs --chat");
        var sampler = sampling.sampler();
        Scheme scheme = schemes.scheme();
        if (transcript != null && scheme.servers() == 0) throw new IllegalArgumentException("--transcript needs a scheme with a weights server, not " + scheme.name());
        if (transcriptB != null && scheme.servers() < 2) throw new IllegalArgumentException("--transcript-b needs a scheme with two weights servers, not " + scheme.name());
        boolean remote = weightsServers.given();
        if (remote) {
            if (transcript != null || transcriptB != null) {
                throw new IllegalArgumentException("--transcript records a weights server in this process: give it to `veil weights-server` instead");
            }
            weightsServers.check(scheme);
        }
        TrustedNodes.warn(scheme, System.err);
        Model m = remote ? modelFile.load(scheme.parts()) : modelFile.load();
        var tok = m.tokenizer();
        ChatPrompt rendered = chat ? ChatTemplate.forModel(tok, m.config().architecture()).render(ChatTemplate.singleTurn(system,
                sampling.prompt), true) : null;
        int[] input = chat ? rendered.tokens() : SamplingOptions.input(tok, sampling.prompt);
        boolean[] editable = chat ? userTokens(m, rendered) : SamplingOptions.userTokens(tok, input);
        int maxTokens = sampling.fitToContext(input.length, m.config().contextLength(), System.err);

        String id = modelFile.model().getFileName().toString();
        try (var writer = transcript == null ? null : new TranscriptWriter(transcript, id, ModelDims.of(m.config()));
             var writerB = transcriptB == null ? null : new TranscriptWriter(transcriptB, id, ModelDims.of(m.config()));
             var node = remote ? TrustedNodes.open(scheme, m, id, weightsServers.open(scheme, "generate", tlsOptions, evidence,
                     ModelDims.of(m.config())))
                     : Deployments.inProcess(scheme, m, id, writer, writerB);
             var session = node.session()) {
            System.err.println(node.setupReport());
            System.err.println("prompt: " + (sampling.prompt.isEmpty() ? "(none: generating from BOS)" : sampling.prompt.replace("\n",
                    "\\n"))
                    + "  [" + SamplingOptions.promptTokens(tok, input) + (chat ? ", chat template included" : "") + "]");
            System.err.print("answer: ");
            System.err.flush();
            var out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
            // A chat answer reads as a text of its own; a plain prompt's continuation follows its last token.
            var stream = new TextStream(tok, chat ? -1 : input[input.length - 1], out);
            long t0 = System.nanoTime();
            int[] generated = session.generate(input, editable, maxTokens, sampler, stream::accept);
            stream.finish();
            double s = (System.nanoTime() - t0) / 1e9;
            System.err.println(SamplingOptions.speed(tok, input, generated.length, s));
            String work = node.workReport(input.length + generated.length);
            if (!work.isEmpty()) System.err.println(work);
            TrustedNodes.serverView(session.report(), tok, "", System.err);
            if (scheme.warning() != null) System.err.println("veil: warning: " + scheme.warning());
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
