package dev.veil.node.otp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.veil.engine.inference.Sampler;
import dev.veil.engine.model.Model;
import dev.veil.engine.ring.Numeric;
import dev.veil.node.IntegrityException;
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
                return new Message.LinearReply(new Rows.RingElements(out.ring(), out.rows(), out.cols(), data), r.serverNanos(), r.batchRows());
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
                // calls 0-20 are the prefill; call 30 is the 10th matrix of the first decode step
                // the range check (|O| <= |q|_1 w_max, about 2^37 here) sees high bits; Freivalds' test the rest
                String check = bit >= 45 ? "out of range" : "Freivalds check failed";
                assertTrue(reports.getFirst().startsWith("weights server answered ATTN_OUT[2] wrongly (") && reports.getFirst().contains(check)
                        && reports.getFirst().endsWith("retrying with fresh pads (1 of 2)"), "bit " + bit + ": " + reports.getFirst());
            }
        }
    }

    @Test
    void aServerThatKeepsLyingFailsTheCallClearly() throws Exception {
        Model model = OneTimePadEndToEndTest.stories();
        try (var rt = new OtpRuntime(model, OtpConfig.of(Numeric.Z64), null, s -> flipping(s, 3, call -> true))) {
            rt.node.onFault(message -> {});
            var e = assertThrows(IntegrityException.class, () -> generate(rt.node));
            assertEquals("weights server answered QKV[0] wrongly 3 times in a row (Freivalds check failed); its results cannot be trusted", e.getMessage());
            assertEquals(3, rt.node.stats().faults());
            assertEquals(0, rt.node.stats().calls());
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
