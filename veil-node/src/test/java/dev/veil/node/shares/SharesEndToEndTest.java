package dev.veil.node.shares;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.veil.engine.InMemoryModels;
import dev.veil.engine.Shared;
import dev.veil.engine.inference.Forward;
import dev.veil.engine.inference.Generator;
import dev.veil.engine.inference.KVCache;
import dev.veil.engine.inference.LinearOps;
import dev.veil.engine.inference.Sampler;
import dev.veil.engine.model.Llama2cLoader;
import dev.veil.engine.model.LlamaConfig;
import dev.veil.engine.model.Model;
import dev.veil.engine.model.ModelLoader;
import dev.veil.engine.model.ModelParts;
import dev.veil.engine.model.ModelShape;
import dev.veil.engine.model.RandomModels;
import dev.veil.engine.ring.Numeric;
import dev.veil.engine.tensor.GGMLType;
import dev.veil.protocol.Frame;
import dev.veil.protocol.Message;
import dev.veil.protocol.ProtocolException;
import dev.veil.protocol.transcript.TranscriptReader;
import dev.veil.protocol.transcript.TranscriptWriter;
import dev.veil.protocol.transport.CountingChannel;
import dev.veil.protocol.transport.InMemoryChannel;
import dev.veil.weights.WeightsServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Two-server shares over real loopback sockets give the plain engine's exact-mode logits, bit for bit. */
@Timeout(180)
class SharesEndToEndTest {
    static final int[] PROMPT = {1, 403, 407, 261, 378, 430, 259, 300};

    static Model stories() throws Exception {
        return Llama2cLoader.load(Shared.storiesBin(), Shared.storiesTokenizer());
    }

    /** Greedy prefill (every position's logits) and decode with both; asserts equal bits at every step. */
    static void assertSameLogits(Model model, LinearOps plain, LinearOps shared, int[] prompt, int steps) {
        LlamaConfig c = model.config();
        var a = new Forward(c, model.node(), plain);
        var b = new Forward(c, model.node(), shared);
        var ca = new KVCache(c, prompt.length + steps);
        var cb = new KVCache(c, prompt.length + steps);
        float[] la = a.forward(prompt, ca, true), lb = b.forward(prompt, cb, true);
        for (int step = 0; ; step++) {
            assertArrayEquals(la, lb, "logits differ at step " + step);
            int last = la.length / c.vocabSize() - 1;
            int next = Sampler.greedy().sample(la, last * c.vocabSize(), c.vocabSize());
            if (step == steps) return;
            la = a.forward(new int[] {next}, ca, false);
            lb = b.forward(new int[] {next}, cb, false);
        }
    }

    @Test
    void storiesIsBitIdenticalToThePlainExactModeInBothRings() throws Exception {
        Model model = stories();
        for (Numeric numeric : new Numeric[] {Numeric.Z64, Numeric.Z32}) {
            try (var rt = new SharesRuntime(model, SharesConfig.of(numeric))) {
                assertSameLogits(model, numeric.plain(model.config(), model.linear()), new SharedLinear(rt.node, rt.node.channel(0),
                        rt.node.channel(1)),
                        PROMPT, 24);
                var s = rt.node.stats();
                assertEquals(0, s.faults());
                assertEquals(21 * 25, s.calls());
                assertTrue(s.checkRows() >= 2L * s.calls(), "check rows " + s.checkRows()); // 2^-20: at least two a call at d_in = 64
                assertEquals(21 + s.calls(), rt.weightsA.stats()[1]); // one set-up probe per matrix, then every call once
                assertEquals(21 + s.calls(), rt.weightsB.stats()[1]);
            }
        }
    }

    /**
     * Server B's share as a seed (protocol version 2): B's server receives SEEDED_LINEAR, 58 bytes a call, whatever
     * the call's size, and expands it to the rows the node subtracted from A's (else the logits would differ).
     */
    @Test
    void serverBsShareTravelsAsASeed(@TempDir Path dir) throws Exception {
        Model model = stories();
        for (boolean seedB : new boolean[] {true, false}) {
            Path fa = dir.resolve(seedB + "-a.veiltr"), fb = dir.resolve(seedB + "-b.veiltr");
            var shape = dev.veil.protocol.ModelDims.of(model.config());
            var config = new SharesConfig(Numeric.Z64, 0, 0, seedB);
            try (var ta = new TranscriptWriter(fa, "test-model", shape); var tb = new TranscriptWriter(fb, "test-model", shape);
                 var rt = new SharesRuntime(model, config, ta, tb, s -> s)) {
                var a = new CountingChannel(rt.node.channel(0));
                var b = new CountingChannel(rt.node.channel(1));
                assertSameLogits(model, Numeric.Z64.plain(model.config(), model.linear()), new SharedLinear(rt.node, a, b), PROMPT, 8);
                assertEquals(seedB ? 21 * 9 * (Frame.HEADER_BYTES + 46L) : a.traffic().bytesSent(), b.traffic().bytesSent(), "bytes to B");
            }
            var callsB = TranscriptReader.readAll(fb).linearCalls();
            assertEquals(21 * 9, callsB.size());
            for (int c = 0; c < callsB.size(); c++) {
                var eb = callsB.get(c);
                assertEquals(seedB, eb.request() instanceof Message.SeededLinear, "call " + c);
            }
        }
    }

    @Test
    void theNodeHoldsNoWeightsAndStillMatches() throws Exception {
        Model whole = stories();
        Model nodePart = Llama2cLoader.load(Shared.storiesBin(), Shared.storiesTokenizer(), ModelParts.NODE);
        assertEquals(null, nodePart.linear());
        try (var rt = new SharesRuntime(whole, new SharesConfig(Numeric.Z64, 0, 0))) {
            var node = SharesNode.connect(nodePart, "test-model", rt.node.channel(0), rt.node.channel(1), SharesConfig.of(Numeric.Z64));
            int[] expected = new Generator(whole, Numeric.Z64.plain(whole.config(), whole.linear())).generate(PROMPT, 20, Sampler.greedy(),
                    t -> {});
            assertArrayEquals(expected, node.generator().generate(PROMPT, 20, Sampler.greedy(), t -> {}));
        }
    }

    @Test
    void randomGgufModelsOfEachArchitecture(@TempDir Path dir) throws Exception {
        for (String shape : new String[] {"tiny-llama", "tiny-qwen2", "tiny-qwen3"}) {
            Path p = dir.resolve(shape + ".gguf");
            RandomModels.write(ModelShape.named(shape), GGMLType.Q8_0, 100, null, p);
            Model model = ModelLoader.load(p, null);
            try (var rt = new SharesRuntime(model, SharesConfig.of(Numeric.Z64))) {
                assertSameLogits(model, Numeric.Z64.plain(model.config(), model.linear()), new SharedLinear(rt.node, rt.node.channel(0),
                        rt.node.channel(1)),
                        new int[] {1, 45, 300, 7, 88, 411}, 6);
            }
        }
        for (LlamaConfig c : new LlamaConfig[] {InMemoryModels.llama(), InMemoryModels.qwen2(), InMemoryModels.qwen3()}) {
            Model model = InMemoryModels.create(c, 11);
            try (var rt = new SharesRuntime(model, SharesConfig.of(Numeric.Z32))) {
                assertSameLogits(model, Numeric.Z32.plain(c, model.linear()), new SharedLinear(rt.node, rt.node.channel(0),
                        rt.node.channel(1)),
                        new int[] {3, 17, 42, 9, 120, 5}, 6);
            }
        }
    }

    @Test
    void concurrentSessionsEachGetThePlainOutput() throws Exception {
        Model model = stories();
        var plainOps = Numeric.Z64.plain(model.config(), model.linear());
        List<int[]> prompts = new ArrayList<>();
        for (int s = 0; s < 4; s++) prompts.add(new int[] {1, 300 + s, 400 - s, 261});
        List<int[]> expected = new ArrayList<>();
        for (int[] p : prompts) expected.add(new Generator(model, plainOps).generate(p, 30, Sampler.greedy(), t -> {}));
        try (var rt = new SharesRuntime(model, SharesConfig.of(Numeric.Z64)); var pool = Executors.newFixedThreadPool(4)) {
            List<Future<int[]>> results = new ArrayList<>();
            for (int[] p : prompts) results.add(pool.submit(() -> rt.node.generator().generate(p, 30, Sampler.greedy(), t -> {})));
            for (int s = 0; s < 4; s++) assertArrayEquals(expected.get(s), results.get(s).get(), "session " + s);
            assertEquals(0, rt.node.stats().faults());
        }
    }

    @Test
    void serversWithDifferentWeightsAreRefusedAtSetUp() throws Exception {
        Model model = stories();
        Model fake = InMemoryModels.create(model.config(), 5); // stories260K's shape, other weights
        var a = new WeightsServer("m", model.config(), model.linear(), null);
        var b = new WeightsServer("m", fake.config(), fake.linear(), null);
        var e = assertThrows(ProtocolException.class, () -> SharesNode.connect(model, "m", new InMemoryChannel(a, Duration.ofSeconds(10)),
                new InMemoryChannel(b, Duration.ofSeconds(10)), SharesConfig.of(Numeric.Z64)));
        assertTrue(e.getMessage().startsWith("weights servers A and B disagree on QKV[0]: they do not serve the same weights"),
                e.getMessage());
        a.close();
        b.close();
    }
}
