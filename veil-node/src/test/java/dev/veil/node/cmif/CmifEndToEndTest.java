package dev.veil.node.cmif;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.veil.engine.Eventually;
import dev.veil.engine.inference.Generator;
import dev.veil.engine.inference.LocalLinearOps;
import dev.veil.engine.inference.Sampler;
import dev.veil.engine.model.Model;
import dev.veil.protocol.ErrorCode;
import dev.veil.protocol.Message;
import dev.veil.protocol.ModelDims;
import dev.veil.protocol.ProtocolException;
import dev.veil.protocol.Rows;
import dev.veil.protocol.transcript.TranscriptReader;
import dev.veil.protocol.transcript.TranscriptWriter;
import dev.veil.protocol.transport.TcpChannel;
import dev.veil.protocol.transport.TcpServer;
import dev.veil.weights.WeightsServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The CMIF split over real loopback sockets: layers and KV cache on the server, the rest on the node. */
@Timeout(120)
class CmifEndToEndTest {
    @TempDir Path dir;

    /** A weights server serving the decoder stack, and a CMIF node connected to it over TCP. */
    private record Split(WeightsServer weights, TcpServer server, CmifNode node) implements AutoCloseable {
        static Split start(Model model, Sanitizer sanitizer, TranscriptWriter transcript) throws Exception {
            return start(model, sanitizer, transcript, null);
        }

        static Split start(Model model, Sanitizer sanitizer, TranscriptWriter transcript, PrivacyBudget budget) throws Exception {
            var weights = new WeightsServer("stories", model.config(), model.linear(), model.node(), transcript);
            var server = TcpServer.start(weights, "127.0.0.1", 0, null);
            var node = CmifNode.connect(model, "stories", TcpChannel.connect("127.0.0.1", server.port(), null, Duration.ofSeconds(30)), sanitizer,
                    budget);
            return new Split(weights, server, node);
        }

        @Override
        public void close() {
            node.close();
            server.close();
            weights.close();
        }
    }

    private static int[] prompt(Model model, String text) {
        int[] ids = model.tokenizer().encode(text);
        int[] p = new int[ids.length + 1];
        p[0] = model.tokenizer().bos();
        System.arraycopy(ids, 0, p, 1, ids.length);
        return p;
    }

    private static boolean[] userTokens(int n) {
        boolean[] e = new boolean[n];
        Arrays.fill(e, 1, n, true); // BOS is template
        return e;
    }

    @Test
    void withNothingReplacedTheSplitGeneratesThePlainEnginesText() throws Exception {
        Model model = Fixtures.model();
        int[] prompt = prompt(model, "Once upon a time, there was a little girl named Lily.");
        int[] expected = new Generator(model, new LocalLinearOps(model.config(), model.linear())).generate(prompt, 80, Sampler.greedy(), t -> {});
        assertTrue(expected.length > 40, "a long enough continuation to compare: " + expected.length);
        var space = Fixtures.stories();
        // Sanitization off (ε = ∞), and on but with nothing chosen (no sensitive tokens, p = 0).
        for (var params : new SanitizerParams[] {SanitizerParams.defaults(Double.POSITIVE_INFINITY), new SanitizerParams(1.0, 20, 0.0, 1.0, 0.0)}) {
            var rnm = Sanitizers.create("rnm", space, Fixtures.counts(), params, dir);
            try (var split = Split.start(model, rnm, null)) {
                var result = split.node().generate(prompt, userTokens(prompt.length), 80, Sampler.greedy(), t -> {});
                assertArrayEquals(prompt, result.sanitizedPrompt());
                assertArrayEquals(expected, result.generated(), "CMIF over TCP must equal the plain engine (ε " + params.epsilon() + ")");
                assertEquals(0, split.weights().openSessions(), "the session is ended after the request");
            }
        }
    }

    @Test
    void aClientPastItsBudgetIsRefusedBeforeTheServerSeesAnything() throws Exception {
        Model model = Fixtures.model();
        int[] prompt = prompt(model, "Lily saw a big dog.");
        // The every-pair mechanism sanitizes every user token: each request spends (prompt.length - 1) × 0.25.
        var em = Sanitizers.create("em", Fixtures.stories(), Fixtures.counts(), SanitizerParams.defaults(0.25), dir);
        double perRequest = (prompt.length - 1) * 0.25;
        Path file = dir.resolve("budget.transcript");
        try (var writer = new TranscriptWriter(file, "stories", ModelDims.of(model.config()));
             var split = Split.start(model, em, writer, new PrivacyBudget(2.5 * perRequest))) {
            for (int i = 1; i <= 2; i++) {
                var r = split.node().generate("key-1", prompt, userTokens(prompt.length), 4, Sampler.greedy(), t -> {});
                assertEquals(i * perRequest, r.account().spent(), 1e-9);
                assertEquals(perRequest, r.guarantee().totalEpsilon(), 1e-12);
                assertTrue(r.guarantee().coversEveryToken());
            }
            var e = assertThrows(PrivacyBudget.ExceededException.class,
                    () -> split.node().generate("key-1", prompt, userTokens(prompt.length), 4, Sampler.greedy(), t -> {}));
            assertTrue(e.getMessage().startsWith("privacy budget exceeded: this request would spend ε " + perRequest), e.getMessage());
            // Another client has its own budget; a budgeted node refuses a request that names none.
            assertEquals(perRequest, split.node().generate("key-2", prompt, userTokens(prompt.length), 4, Sampler.greedy(), t -> {})
                    .account().spent(), 1e-9);
            assertThrows(IllegalStateException.class, () -> split.node().generate(prompt, userTokens(prompt.length), 4, Sampler.greedy(), t -> {}));
        }
        // Three sessions reached the server (two for key-1, one for key-2); the refused request sent nothing.
        long prefills = TranscriptReader.readAll(file).decodeCalls().stream()
                .filter(c -> ((Message.Decode) c.request()).position() == 0).count();
        assertEquals(3, prefills);
    }

    @Test
    void theServerSeesOnlyTheSanitizedPromptAndTheSpendIsReported() throws Exception {
        Model model = Fixtures.model();
        int[] prompt = prompt(model, "Lily saw a big dog and was very happy with her friend.");
        var sanitizer = Sanitizers.create("rnm", Fixtures.stories(), Fixtures.counts(), new SanitizerParams(0.5, 20, 1.0, 1.0, 0.2), dir);
        Path file = dir.resolve("cmif.transcript");
        CmifNode.Result result;
        try (var writer = new TranscriptWriter(file, "stories", ModelDims.of(model.config()));
             var split = Split.start(model, sanitizer, writer)) {
            result = split.node().generate(prompt, userTokens(prompt.length), 12, Sampler.greedy(), t -> {});
        }
        int[] shown = result.sanitizedPrompt();
        assertEquals(prompt[0], shown[0], "BOS is template and stays");
        assertNotEquals(Arrays.toString(prompt), Arrays.toString(shown), "at ε 0.5 with p = 1 some tokens are replaced");
        assertEquals(prompt.length - 1, result.sanitized().mechanizedCount());
        assertEquals((prompt.length - 1) * 0.5, result.sanitized().totalEpsilon(), 1e-12);

        // The transcript: the prefill received exactly the embeddings of the sanitized prompt.
        var t = TranscriptReader.readAll(file);
        var decodes = t.decodeCalls();
        assertEquals(result.generated().length, decodes.size(), "one prefill, then one call per fed-back token");
        var prefill = (Message.Decode) decodes.getFirst().request();
        assertEquals(0, prefill.position());
        float[] received = ((Rows.Floats) prefill.hidden()).data();
        var space = Fixtures.stories();
        int dim = space.dim();
        for (int i = 0; i < shown.length; i++) {
            assertArrayEquals(space.vector(shown[i]), Arrays.copyOfRange(received, i * dim, (i + 1) * dim), "position " + i);
            if (shown[i] != prompt[i]) assertFalse(Arrays.equals(space.vector(prompt[i]), Arrays.copyOfRange(received, i * dim, (i + 1) * dim)));
        }
        for (int s = 1; s < decodes.size(); s++) {
            var d = (Message.Decode) decodes.get(s).request();
            assertEquals(prompt.length + s - 1, d.position());
            assertEquals(prefill.session(), d.session(), "one session for the whole request");
        }
        assertTrue(t.entries().getLast().request() instanceof Message.EndSession);
    }

    @Test
    void badDecodeCallsAreOneLineErrorsAndSessionsDieWithTheirConnection() throws Exception {
        Model model = Fixtures.model();
        var sanitizer = Sanitizers.create("custext+", Fixtures.stories(), Fixtures.counts(), SanitizerParams.defaults(1), dir);
        try (var split = Split.start(model, sanitizer, null)) {
            var channel = split.node().channel();
            int dim = model.config().dim();
            var unknown = assertThrows(ProtocolException.class,
                    () -> channel.call(new Message.Decode(42, 5, new Rows.Floats(1, dim, new float[dim])), Message.DecodeReply.class));
            assertEquals(ErrorCode.BAD_SHAPE, unknown.code());
            assertTrue(unknown.getMessage().contains("unknown session"), unknown.getMessage());
            var narrow = assertThrows(ProtocolException.class,
                    () -> channel.call(new Message.Decode(42, 0, new Rows.Floats(1, dim - 1, new float[dim])), Message.DecodeReply.class));
            assertTrue(narrow.getMessage().contains("rows of " + dim), narrow.getMessage());
            var beyond = assertThrows(ProtocolException.class,
                    () -> channel.call(new Message.Decode(42, 600, new Rows.Floats(1, dim, new float[dim])), Message.DecodeReply.class));
            assertTrue(beyond.getMessage().contains("exceed the model's context"), beyond.getMessage());

            // A session left open is dropped when its connection closes.
            channel.call(new Message.Decode(7, 0, new Rows.Floats(2, dim, new float[2 * dim])), Message.DecodeReply.class);
            var gap = assertThrows(ProtocolException.class,
                    () -> channel.call(new Message.Decode(7, 3, new Rows.Floats(1, dim, new float[dim])), Message.DecodeReply.class));
            assertTrue(gap.getMessage().contains("is at position 2"), gap.getMessage());
            assertEquals(1, split.weights().openSessions());
            channel.close();
            Eventually.until("the session is dropped with its connection", () -> split.weights().openSessions() == 0);
        }
    }
}
