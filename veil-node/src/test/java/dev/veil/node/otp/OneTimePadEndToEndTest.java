package dev.veil.node.otp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
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
import dev.veil.engine.ring.Numeric;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** ReMO with one-time pads over real loopback sockets gives the plain engine's exact-mode logits, bit for bit. */
@Timeout(120)
class OneTimePadEndToEndTest {
    static final int[] PROMPT = {1, 403, 407, 261, 378, 430, 259, 300};

    static Model stories() throws Exception {
        return Llama2cLoader.load(Shared.storiesBin(), Shared.storiesTokenizer());
    }

    /** Greedy prefill (every position's logits) and decode with both; asserts equal bits at every step. */
    static void assertSameLogits(Model model, LinearOps plain, LinearOps otp, int[] prompt, int steps) {
        LlamaConfig c = model.config();
        var a = new Forward(c, model.node(), plain);
        var b = new Forward(c, model.node(), otp);
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
    void storiesIsBitIdenticalToThePlainExactModeForPrefillAndDecode() throws Exception {
        Model model = stories();
        for (Numeric numeric : new Numeric[] {Numeric.Z64, Numeric.Z32}) {
            try (var rt = new OtpRuntime(model, OtpConfig.of(numeric))) {
                assertTrue(rt.node.awaitTopUp(Duration.ofSeconds(30)));
                assertSameLogits(model, numeric.plain(model.config(), model.linear()), rt.node.linear(), PROMPT, 24);
                var s = rt.node.stats();
                assertEquals(0, s.faults());
                assertEquals(s.calls(), s.checks()); // check rate 1: every call checked
                assertEquals(21 * 25, s.calls());
                assertTrue(s.producedRows() >= 21 * OtpConfig.DEFAULT_POOL_ROWS, "produced " + s.producedRows());
            }
        }
    }

    @Test
    void randomModelsOfEachArchitectureWithDryPoolsAndNoProducer() throws Exception {
        for (LlamaConfig c : new LlamaConfig[] {InMemoryModels.llama(), InMemoryModels.qwen2(), InMemoryModels.qwen3()}) {
            Model model = InMemoryModels.create(c, 11);
            int[] prompt = {3, 17, 42, 9, 120, 5};
            // tiny pools, refilled one row at a time: prefill drains them; no producer: every row made on the spot
            for (var config : new OtpConfig[] {OtpConfig.of(Numeric.Z64).withPool(3, 1, 1), OtpConfig.of(Numeric.Z64).withPool(4, 2, 0)}) {
                try (var rt = new OtpRuntime(model, config)) {
                    assertSameLogits(model, Numeric.Z64.plain(c, model.linear()), rt.node.linear(), prompt, 6);
                    assertTrue(rt.node.stats().dryRows() > 0, c.architecture() + ": prefill of 6 rows from pools of " + config.poolRows());
                    if (config.producers() == 0) assertEquals(rt.node.stats().rows(), rt.node.stats().dryRows());
                }
            }
        }
    }

    @Test
    void concurrentSessionsEachGetThePlainOutput() throws Exception {
        Model model = stories();
        var plainOps = Numeric.Z64.plain(model.config(), model.linear());
        int sessions = 4;
        List<int[]> prompts = new ArrayList<>();
        for (int s = 0; s < sessions; s++) prompts.add(new int[] {1, 300 + s, 400 - s, 261});
        List<int[]> expected = new ArrayList<>();
        for (int[] p : prompts) expected.add(new Generator(model, plainOps).generate(p, 30, Sampler.greedy(), t -> {}));
        try (var rt = new OtpRuntime(model, OtpConfig.of(Numeric.Z64).withPool(16, 4, 1));
             var pool = Executors.newFixedThreadPool(sessions)) {
            List<Future<int[]>> results = new ArrayList<>();
            for (int[] p : prompts) results.add(pool.submit(() -> rt.node.generator().generate(p, 30, Sampler.greedy(), t -> {})));
            for (int s = 0; s < sessions; s++) assertArrayEquals(expected.get(s), results.get(s).get(), "session " + s);
            assertEquals(0, rt.node.stats().faults());
        }
    }

    @Test
    void poolsFillToCapacityAndReportTheirMemory() throws Exception {
        Model model = stories();
        var config = OtpConfig.of(Numeric.Z64).withPool(8, 4, 1);
        try (var rt = new OtpRuntime(model, config)) {
            assertTrue(rt.node.awaitTopUp(Duration.ofSeconds(30)));
            var c = model.config();
            long perToken = 0; // (d_in + d_out) longs of every matrix
            for (var p : dev.veil.engine.inference.Projection.values()) perToken += (long) (p.perLayer() ? c.layers() : 1) * (p.inDim(c) + p.outDim(c));
            assertEquals(8 * 8 * perToken, rt.node.poolCapacityBytes());
            assertEquals(rt.node.poolCapacityBytes(), rt.node.poolBytes());
            assertEquals(21 * 8, rt.node.stats().producedRows());
            rt.node.generator().generate(new int[] {1}, 3, Sampler.greedy(), t -> {});
            assertEquals(0, rt.node.stats().dryRows()); // 3 tokens from pools of 8
        }
    }
}
