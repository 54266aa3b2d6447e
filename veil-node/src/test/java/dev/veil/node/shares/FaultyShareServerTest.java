package dev.veil.node.shares;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.veil.engine.inference.Generator;
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

/** Server A flips one bit of one output value: the node's check rows (or range check) catch it, report it and retry. */
@Timeout(120)
class FaultyShareServerTest {
    static final int[] PROMPT = {1, 403, 407};

    /** Wraps a real weights server; flips bit {@code bit} of value {@code at(rows,
            cols)} in the replies to the LINEAR calls {@code which} picks. */
    static Service flipping(Service inner, int bit, IntPredicate which, boolean inCheckRow) {
        var calls = new AtomicInteger();
        return (Peer peer, Message request) -> {
            CompletableFuture<Message> reply = inner.handle(peer, request);
            if (!(request instanceof Message.Linear)) return reply;
            int call = calls.getAndIncrement();
            return reply.thenApply(m -> {
                if (!(m instanceof Message.LinearReply r) || !which.test(call)) return m;
                var out = (Rows.RingElements) r.output();
                long[] data = out.data().clone();
                int at = inCheckRow ? data.length - 1 : out.cols() / 2; // the last check row, or the first input row
                data[at] = out.ring().wrap(data[at] ^ (1L << bit));
                return new Message.LinearReply(new Rows.RingElements(out.ring(), out.rows(), out.cols(), data), r.serverNanos());
            });
        };
    }

    static int[] generate(SharesNode node) {
        return node.generator().generate(PROMPT, 12, Sampler.greedy(), t -> {});
    }

    @Test
    void aFlippedBitAnywhereIsCaughtReportedAndRetried() throws Exception {
        Model model = SharesEndToEndTest.stories();
        int[] expected = new Generator(model, Numeric.Z64.plain(model.config(), model.linear())).generate(PROMPT, 12, Sampler.greedy(),
                t -> {});
        for (boolean inCheckRow : new boolean[] {false, true}) {
            for (int bit : new int[] {0, 17, 30, 45, 52, 63}) {
                try (var rt = new SharesRuntime(model, SharesConfig.of(Numeric.Z64), null, null, s -> flipping(s, bit, call -> call == 30,
                        inCheckRow))) {
                    List<String> reports = Collections.synchronizedList(new ArrayList<>());
                    rt.node.onFault(reports::add);
                    String what = "bit " + bit + (inCheckRow ? " of a check row" : "");
                    assertArrayEquals(expected, generate(rt.node), what);
                    assertEquals(1, rt.node.stats().faults(), what);
                    assertEquals(1, rt.node.stats().retries());
                    assertEquals(1, reports.size());
                    // call 30 is the 10th matrix of the first decode step; the range check (|O| <= |q|_1 w_max, about 2^37 here) sees
                    // high bits of an input row's result, the check rows everything else
                    String check = bit >= 45 && !inCheckRow ? "output out of range" : "check row";
                    String r = reports.getFirst();
                    assertTrue(r.startsWith("weights servers A and B answered ATTN_OUT[2] wrongly (" + check)
                            && r.contains("either may have lied")
                            && r.endsWith("retrying with fresh shares (1 of 2)"), what + ": " + r);
                }
            }
        }
    }

    @Test
    void aServerThatKeepsLyingFailsTheCallClearly() throws Exception {
        Model model = SharesEndToEndTest.stories();
        try (var rt = new SharesRuntime(model, SharesConfig.of(Numeric.Z64), null, null, s -> flipping(s, 3, call -> true, false))) {
            rt.node.onFault(message -> {});
            var e = assertThrows(IntegrityException.class, () -> generate(rt.node));
            assertEquals("weights servers A and B answered QKV[0] wrongly 3 times in a row (check row 0 failed); "
                    + "one of them cannot be trusted",
                    e.getMessage());
            assertEquals(3, rt.node.stats().faults());
            assertEquals(0, rt.node.stats().calls());
        }
    }

    @Test
    void withoutCheckRowsAFlipGoesThroughUnseen() throws Exception {
        Model model = SharesEndToEndTest.stories();
        try (var rt = new SharesRuntime(model, new SharesConfig(Numeric.Z64, 0, 2), null, null, s -> flipping(s, 20, call -> call == 30,
                false))) {
            generate(rt.node);
            assertEquals(0, rt.node.stats().faults()); // what the check rows buy: --check-bits 0 sends none and sees nothing
            assertEquals(0, rt.node.stats().checkRows());
        }
    }
}
