package dev.veil.node;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.veil.engine.Shared;
import dev.veil.engine.inference.Generator;
import dev.veil.engine.inference.Sampler;
import dev.veil.engine.model.Model;
import dev.veil.engine.model.ModelLoader;
import dev.veil.engine.ring.Numeric;
import dev.veil.protocol.transport.Channel;
import dev.veil.weights.InProcessWeightsServer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Every registered scheme through the one seam: same greedy text as the plain engine, honest reports, checked parameters. */
class SchemeSeamTest {
    static Model model;
    static int[] prompt;

    @BeforeAll
    static void load() throws Exception {
        model = ModelLoader.load(Shared.storiesBin(), null);
        int[] text = model.tokenizer().encode("Lily and Tom");
        prompt = new int[text.length + 1];
        prompt[0] = model.tokenizer().bos();
        System.arraycopy(text, 0, prompt, 1, text.length);
    }

    static TrustedNode open(Scheme scheme) {
        List<Channel> servers = new ArrayList<>();
        for (int i = 0; i < scheme.servers(); i++) servers.add(new InProcessWeightsServer(model, "stories", null));
        return scheme.open(model, "stories", servers);
    }

    @Test
    void theRegistryHoldsEachSchemeOnceWithTheDefaultAmongThem() {
        var names = Schemes.types().stream().map(SchemeType::name).toList();
        assertEquals(names.stream().distinct().toList(), names);
        assertTrue(names.containsAll(List.of("plain", "remo", "remo-otp", "cmif")), names.toString());
        assertEquals(Schemes.DEFAULT, Schemes.create(Schemes.DEFAULT).name());
        assertNull(Schemes.create(Schemes.DEFAULT).warning(), "the default scheme must be one at the privacy floor");
        assertTrue(Schemes.create("remo").warning().contains("null-space"));
    }

    @Test
    void everySchemeThatKeepsThePromptPrintsThePlainEnginesText() {
        int[] floatText = new Generator(model, Numeric.FLOAT.plain(model.config(), model.linear())).generate(prompt, 24, Sampler.greedy(), t -> {});
        int[] exactText = new Generator(model, Numeric.Z64.plain(model.config(), model.linear())).generate(prompt, 24, Sampler.greedy(), t -> {});
        for (SchemeType type : Schemes.types()) {
            if (type.name().equals("cmif")) continue; // changes the prompt by design: below
            Scheme scheme = type.create(SchemeParams.none());
            try (var node = open(scheme); var session = node.session()) {
                int[] out = session.generate(prompt, editable(), 24, Sampler.greedy(), t -> {});
                boolean ring = type.name().equals("remo-otp");
                assertArrayEquals(ring ? exactText : floatText, out, type.name());
                var report = session.report();
                assertEquals(type.name(), report.scheme());
                // One call per outsourced matrix and forward pass: a pass per generated token (one more if a stop token ended it).
                long perPass = callsPerPass(scheme), passes = perPass == 0 ? 0 : report.calls() / perPass;
                assertEquals(0, perPass == 0 ? report.calls() : report.calls() % perPass, type.name());
                assertTrue(perPass == 0 || passes == out.length || passes == out.length + 1, type.name() + ": " + report.calls() + " calls");
                assertEquals(scheme.servers() > 0, report.bytesSent() > 0 && report.bytesReceived() > 0, type.name());
            }
        }
    }

    /** Calls each forward pass makes to the weights server: one per outsourced matrix (QKV, O, gate-up, down per layer, and the head). */
    private static int callsPerPass(Scheme scheme) {
        return scheme.servers() == 0 ? 0 : 4 * model.config().layers() + 1;
    }

    @Test
    void cmifShowsTheServerASanitizedPromptAndCountsItsSpend() {
        Scheme scheme = Schemes.create("cmif", new SchemeParams(Map.of("epsilon", "0.5", "corpus", Shared.path("data/sst2/train.tsv").toString())));
        try (var node = open(scheme); var session = node.session()) {
            session.generate(prompt, editable(), 8, Sampler.greedy(), t -> {});
            var report = session.report();
            assertEquals(prompt.length, report.serverPrompt().length);
            assertEquals(prompt[0], report.serverPrompt()[0], "BOS is not editable");
            assertEquals(0.5 * (prompt.length - 1), report.epsilon(), 0.5 * (prompt.length - 1), "at most ε per editable token");
            assertTrue(report.privacy().contains("ε"), report.privacy());
            assertTrue(report.bytesSent() > 8L * 4 * model.config().dim(), "the server received the prompt's embeddings");
        }
    }

    @Test
    void aParameterTheSchemeDoesNotTakeIsRefused() {
        var e = assertThrows(IllegalArgumentException.class, () -> Schemes.create("remo", new SchemeParams(Map.of("epsilon", "1"))));
        assertEquals("--epsilon does not apply to --scheme remo", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Schemes.create("remo-otp", new SchemeParams(Map.of("numeric", "float"))));
        var unknown = assertThrows(IllegalArgumentException.class, () -> Schemes.create("rot13"));
        assertTrue(unknown.getMessage().contains("plain, "), unknown.getMessage());
    }

    private static boolean[] editable() {
        boolean[] e = new boolean[prompt.length];
        java.util.Arrays.fill(e, 1, e.length, true);
        return e;
    }
}
