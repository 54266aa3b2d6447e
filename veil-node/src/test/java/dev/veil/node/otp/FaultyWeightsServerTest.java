package dev.veil.node.otp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.veil.engine.inference.Sampler;
import dev.veil.engine.model.Model;
import dev.veil.engine.ring.Numeric;
import dev.veil.protocol.Message;
import dev.veil.protocol.Rows;
import dev.veil.protocol.transport.Peer;
import dev.veil.protocol.transport.Service;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntPredicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A weights server that flips one bit of one output value is caught, reported, and the call retried. */
@Timeout(120)
class FaultyWeightsServerTest {
    /** Wraps a real weights server; flips bit {@code bit} of one value in the replies to the LINEAR calls {@code which} picks. */
    static Service flipping(Service inner, int bit, IntPredicate which) {
        var calls = new AtomicInteger();
        return (Peer peer, Message request) -> {
            CompletableFuture<Message> reply = inner.handle(peer, request);
            if (!(request instanceof Message.Linear)) return reply;
            int call = calls.getAndIncrement();
            return reply.thenApply(m -> {
                if (!(m instanceof Message.LinearReply r) || !which.test(call)) return m;
                var out = (Rows.RingElements) r.output();
                long[] data = out.data().clone();
                data[data.length / 2] = out.ring().wrap(data[data.length / 2] ^ (1L << bit));
                return new Message.LinearReply(new Rows.RingElements(out.ring(), out.rows(), out.cols(), data), r.serverNanos());
            });
        };
    }

    static int[] generate(OtpNode node) {
        return node.generator().generate(new int[] {1, 403, 407}, 12, Sampler.greedy(), t -> {});
    }

    @Test
    void aFlippedBitAnywhereIsCaughtReportedAndRetried() throws Exception {
        Model model = OneTimePadEndToEndTest.stories();
        int[] expected = new dev.veil.engine.inference.Generator(model, Numeric.Z64.plain(model.config(), model.linear()))
                .generate(new int[] {1, 403, 407}, 12, Sampler.greedy(), t -> {});
        for (int bit : new int[] {0, 17, 30, 45, 52, 63}) {
            try (var rt = new OtpRuntime(model, OtpConfig.of(Numeric.Z64), null, s -> flipping(s, bit, call -> call == 30))) {
                List<String> reports = Collections.synchronizedList(new ArrayList<>());
                rt.node.onFault(reports::add);
                assertEquals(java.util.Arrays.toString(expected), java.util.Arrays.toString(generate(rt.node)), "bit " + bit);
                assertEquals(1, rt.node.stats().faults(), "bit " + bit);
                assertEquals(1, rt.node.stats().retries());
                assertEquals(1, reports.size());
                assertEquals(null, rt.node.serverFault(), "a caught error that a retry fixed does not mark the server bad");
                // calls 0-20 are the prefill; call 30 is the 10th matrix of the first decode step
                // the range check (|O| <= |q|_1 w_max, about 2^37 here) sees high bits; Freivalds' test the rest
                String check = bit >= 45 ? "out of range" : "Freivalds check failed";
                assertTrue(reports.getFirst().startsWith("weights server 127.0.0.1:" + rt.server.port() + " answered ATTN_OUT[2] wrongly (") && reports.getFirst().contains(check)
                        && reports.getFirst().endsWith("retrying with fresh pads (1 of 2)"), "bit " + bit + ": " + reports.getFirst());
            }
        }
    }

    @Test
    void aServerThatKeepsLyingFailsTheCallClearlyAndIsMarkedBad() throws Exception {
        Model model = OneTimePadEndToEndTest.stories();
        var linearCalls = new AtomicInteger();
        try (var rt = new OtpRuntime(model, OtpConfig.of(Numeric.Z64), null, s -> flipping(s, 3, call -> linearCalls.incrementAndGet() > 0))) {
            rt.node.onFault(message -> {});
            List<IntegrityException> marked = Collections.synchronizedList(new ArrayList<>());
            rt.node.onServerBad(marked::add);
            var e = assertThrows(IntegrityException.class, () -> generate(rt.node));
            String server = "weights server 127.0.0.1:" + rt.server.port();
            assertEquals(server + " answered QKV[0] wrongly 3 times in a row (Freivalds check failed); its results cannot be trusted", e.getMessage());
            assertEquals(3, rt.node.stats().faults());
            assertEquals(0, rt.node.stats().calls());
            // Marked bad, once, for the failover hook; the node sends it nothing more.
            assertEquals(List.of(e), marked);
            assertEquals(e, rt.node.serverFault());
            int sent = linearCalls.get();
            var again = assertThrows(IntegrityException.class, () -> generate(rt.node));
            assertTrue(again.getMessage().startsWith(server + " was marked bad (") && again.getMessage().endsWith("no further calls are sent to it"),
                    again.getMessage());
            assertEquals(sent, linearCalls.get(), "no call reached the bad server");
            assertEquals(1, marked.size());
        }
    }

    @Test
    void withNoProducerThreadsTheSecretsStillRotate() throws Exception {
        Model model = OneTimePadEndToEndTest.stories();
        // Every matrix is checked 12 times per generation (a prefill and 11 decode steps); rotate after every 4 checks.
        var config = OtpConfig.of(Numeric.Z64).withPool(64, 16, 0).withChecks(1.0, 40, 4, 2);
        try (var rt = new OtpRuntime(model, config)) {
            int[] expected = generate(rt.node);
            int matrices = rt.node.matrixCount();
            assertEquals(12L * matrices, rt.node.stats().checks());
            // The first draw, then redraws after checks 4 and 8 of each matrix (at the next check, on the calling thread).
            assertEquals(3L * matrices, rt.node.stats().rotations());
            rt.node.rotateChecks();
            assertEquals(java.util.Arrays.toString(expected), java.util.Arrays.toString(generate(rt.node)), "rotation keeps the output");
            assertEquals(6L * matrices, rt.node.stats().rotations(), "after checks 12 (and rotateChecks), 16 and 20");
        }
    }

    @Test
    void onlyTheChosenShareOfCallsIsChecked() throws Exception {
        Model model = OneTimePadEndToEndTest.stories();
        try (var rt = new OtpRuntime(model, OtpConfig.of(Numeric.Z64).withChecks(0.25, 40, 1024, 2))) {
            generate(rt.node);
            generate(rt.node);
            var s = rt.node.stats();
            double share = (double) s.checks() / s.calls();
            assertTrue(share > 0.15 && share < 0.35, s.checks() + " of " + s.calls() + " calls checked"); // 546 calls: sd 0.019
        }
    }
}
