package dev.veil.node;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.veil.engine.Eventually;
import dev.veil.engine.Shared;
import dev.veil.engine.inference.Sampler;
import dev.veil.engine.model.Model;
import dev.veil.engine.model.ModelLoader;
import dev.veil.node.cmif.CmifScheme;
import dev.veil.node.cmif.Guarantee;
import dev.veil.node.cmif.Sanitized;
import dev.veil.node.cmif.Sanitizer;
import dev.veil.protocol.ErrorCode;
import dev.veil.protocol.Message;
import dev.veil.protocol.ProtocolException;
import dev.veil.protocol.Rows;
import dev.veil.protocol.transport.Peer;
import dev.veil.protocol.transport.Service;
import dev.veil.protocol.transport.TcpChannel;
import dev.veil.protocol.transport.TcpServer;
import dev.veil.weights.WeightsServer;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntPredicate;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Replica failover over real loopback sockets: a replica that dies, freezes or lies in the middle of a
 * generation is left, the call runs again afresh on another one (CMIF: the session rebuilt there), and the
 * text is the single-server text.
 */
@Timeout(180)
class ReplicasTest {
    static Model model;
    static int[] prompt;

    /** CMIF with sanitization off, so that its text repeats. */
    static final Sanitizer KEEP = new Sanitizer() {
        public String name() { return "keep"; }

        public double epsilon() { return Double.POSITIVE_INFINITY; }

        public Sanitized sanitize(int[] ids, boolean[] editable, dev.veil.node.cmif.Draws draws) {
            return new Sanitized(ids.clone(), new boolean[ids.length], new Guarantee("keep", Double.POSITIVE_INFINITY, 0, ids.length, 0,
                    Guarantee.Scope.SHARED_CANDIDATES, "sanitization off"));
        }
    };

    @BeforeAll
    static void load() throws Exception {
        model = ModelLoader.load(Shared.storiesBin(), null);
        int[] text = model.tokenizer().encode("Lily and Tom");
        prompt = new int[text.length + 1];
        prompt[0] = model.tokenizer().bos();
        System.arraycopy(text, 0, prompt, 1, text.length);
    }

    static List<Scheme> schemes() {
        return List.of(Schemes.create("remo-otp"), Schemes.type("remo").create(new SchemeParams(Map.of("numeric", "exact"))),
                CmifScheme.of(KEEP));
    }

    /** A weights server on loopback whose service {@code wrap} may change. */
    record Replica(WeightsServer weights, TcpServer server) implements AutoCloseable {
        static Replica start(java.util.function.UnaryOperator<Service> wrap) throws Exception {
            var weights = new WeightsServer("stories", model.config(), model.linear(), model.node(), null);
            return new Replica(weights, TcpServer.start(wrap.apply(weights), "127.0.0.1", 0, null));
        }

        /** Reached with a per-call deadline that only bounds a hang. */
        Replicas.Address address() {
            return address(Eventually.LIMIT);
        }

        /** Reached with a per-call deadline of {@code timeout} (the deadline under test, where one is). */
        Replicas.Address address(Duration timeout) {
            int port = server.port();
            return new Replicas.Address("127.0.0.1:" + port, () -> TcpChannel.connect("127.0.0.1", port, null, timeout));
        }

        @Override
        public void close() {
            server.close();
            weights.close();
        }
    }

    /**
     * The real service until its {@code after}-th LINEAR or DECODE call; that call and every later one gets no
     * answer, and {@code trip} runs once (kill: it closes the server).
     */
    static Service failingAfter(Service inner, int after, Runnable trip) {
        var calls = new AtomicInteger();
        return new Service() {
            @Override
            public CompletableFuture<Message> handle(Peer peer, Message request) {
                if (!(request instanceof Message.Linear || request instanceof Message.SeededLinear || request instanceof Message.Decode)) {
                    return inner.handle(peer, request);
                }
                int call = calls.incrementAndGet();
                if (call == after) trip.run();
                return call >= after ? new CompletableFuture<>() : inner.handle(peer, request);
            }

            @Override
            public long replyBound(Message request) { return inner.replyBound(request); }

            @Override
            public void disconnected(Peer peer) { inner.disconnected(peer); }
        };
    }

    static int[] generate(Scheme scheme, Replicas... roles) {
        try (var node = scheme.open(model, "stories", List.of(roles)); var session = node.session()) {
            return session.generate(prompt, new boolean[prompt.length], 30, Sampler.greedy(), t -> {});
        }
    }

    static int[] single(Scheme scheme) throws Exception {
        try (var a = Replica.start(s -> s)) {
            return generate(scheme, new Replicas(List.of(a.address()), Replicas.DEFAULT_BACKOFF, line -> {}));
        }
    }

    @Test
    void aReplicaKilledMidGenerationIsLeftAndTheTextIsUnchanged() throws Exception {
        for (Scheme scheme : schemes()) {
            int[] expected = single(scheme);
            var holder = new TcpServer[1];
            try (var a = Replica.start(s -> failingAfter(s, 20, () -> Thread.startVirtualThread(() -> holder[0].close())));
                 var b = Replica.start(s -> s)) {
                holder[0] = a.server();
                List<String> log = Collections.synchronizedList(new ArrayList<>());
                var replicas = new Replicas(List.of(a.address(), b.address()), Replicas.DEFAULT_BACKOFF, log::add);
                assertArrayEquals(expected, generate(scheme, replicas), scheme.name());
                assertEquals(1, log.size(), scheme.name() + ": " + log);
                assertTrue(log.getFirst().startsWith("weights server " + a.address().name() + " failed ("), log.getFirst());
                assertTrue(log.getFirst().endsWith("the call runs again on weights server " + b.address().name() + ", afresh"),
                        log.getFirst());
            }
        }
    }

    @Test
    void sharesFailsOverWithinARoleWithFreshShares() throws Exception {
        Scheme shares = Schemes.create("shares");
        int[] expected;
        try (var a = Replica.start(s -> s); var b = Replica.start(s -> s)) {
            expected = generate(shares, new Replicas(List.of(a.address()), Replicas.DEFAULT_BACKOFF, l -> {}),
                    new Replicas(List.of(b.address()), Replicas.DEFAULT_BACKOFF, l -> {}));
        }
        var holder = new TcpServer[2];
        try (var a1 = Replica.start(s -> failingAfter(s, 20, () -> Thread.startVirtualThread(() -> holder[0].close())));
             var a2 = Replica.start(s -> s);
             var b1 = Replica.start(s -> failingAfter(s, 50, () -> Thread.startVirtualThread(() -> holder[1].close())));
             var b2 = Replica.start(s -> s)) {
            holder[0] = a1.server();
            holder[1] = b1.server();
            List<String> log = Collections.synchronizedList(new ArrayList<>());
            var roleA = new Replicas(List.of(a1.address(), a2.address()), Replicas.DEFAULT_BACKOFF, log::add);
            var roleB = new Replicas(List.of(b1.address(), b2.address()), Replicas.DEFAULT_BACKOFF, log::add);
            assertArrayEquals(expected, generate(shares, roleA, roleB));
            assertEquals(2, log.size(), log.toString());
            assertTrue(log.stream().anyMatch(l -> l.startsWith("weights server " + a1.address().name() + " failed")), log.toString());
            assertTrue(log.stream().anyMatch(l -> l.startsWith("weights server " + b1.address().name() + " failed")), log.toString());
        }
    }

    @Test
    void aFrozenReplicaMissesTheDeadlineAndIsLeft() throws Exception {
        for (Scheme scheme : schemes()) {
            int[] expected = single(scheme);
            try (var a = Replica.start(s -> failingAfter(s, 25, () -> {}));
                 var b = Replica.start(s -> s)) {
                List<String> log = Collections.synchronizedList(new ArrayList<>());
                // a short deadline for the frozen replica, a generous one for the healthy one (which a loaded machine cannot miss)
                var replicas = new Replicas(List.of(a.address(Duration.ofMillis(200)), b.address()), Replicas.DEFAULT_BACKOFF, log::add);
                assertArrayEquals(expected, generate(scheme, replicas), scheme.name());
                assertEquals(1, log.size(), log.toString());
                assertTrue(log.getFirst().contains("no reply from weights server " + a.address().name() + " within 200 ms"),
                        log.getFirst());
            }
        }
    }

    @Test
    void aReplicaThatLiesIsLeftForGoodAndTheOtherAnswers() throws Exception {
        Scheme otp = Schemes.create("remo-otp");
        int[] expected = single(otp);
        try (var a = Replica.start(s -> flipping(s, call -> call >= 30)); var b = Replica.start(s -> s)) {
            List<String> log = Collections.synchronizedList(new ArrayList<>());
            var replicas = new Replicas(List.of(a.address(), b.address()), Duration.ZERO, log::add);
            try (var node = (dev.veil.node.otp.OtpNode) otp.open(model, "stories", List.of(replicas)); var session = node.session()) {
                node.onFault(line -> {});
                assertArrayEquals(expected, session.generate(prompt, new boolean[prompt.length], 30, Sampler.greedy(), t -> {}));
                assertEquals(null, node.serverFault(), "the node itself is not given up: another replica answered");
                assertEquals(1, log.size(), log.toString());
                assertTrue(log.getFirst().contains("wrongly"), log.getFirst());
                // even with no back-off, a replica that failed the node's checks gets no further call
                var second = node.session().generate(prompt, new boolean[prompt.length], 30, Sampler.greedy(), t -> {});
                assertArrayEquals(expected, second);
                assertEquals(1, log.size(), log.toString());
                b.close();
                var e = assertThrows(ProtocolException.class, () -> node.session().generate(prompt, new boolean[prompt.length], 30,
                        Sampler.greedy(),
                        t -> {}));
                assertTrue(e.getMessage().contains("the others are marked bad: 127.0.0.1:"
                        + a.server().port() + " failed the node's checks: "),
                        e.getMessage());
            }
        }
    }

    @Test
    void whenEveryReplicaIsDownTheCallFailsAtOnceInOneLine() throws Exception {
        int p1, p2;
        try (var s1 = new ServerSocket(0); var s2 = new ServerSocket(0)) {
            p1 = s1.getLocalPort();
            p2 = s2.getLocalPort();
        }
        List<Replicas.Address> dead = new ArrayList<>();
        var dials = new AtomicInteger();
        for (int p : new int[] {p1, p2}) {
            dead.add(new Replicas.Address("127.0.0.1:" + p, () -> {
                dials.incrementAndGet();
                return TcpChannel.connect("127.0.0.1", p, null, Eventually.LIMIT);
            }));
        }
        // "At once": each replica is dialled once, and nothing waits for one to come back (with a back-off of a day,
        // a call that waited would hang until the class's @Timeout).
        var e = assertThrows(ProtocolException.class, () -> generate(Schemes.create("remo-otp"), new Replicas(dead,
                Duration.ofDays(1), l -> {})));
        assertEquals(2, dials.get(), "each replica dialled once");
        assertEquals(ErrorCode.CLOSED, e.code());
        assertTrue(e.getMessage().startsWith("the call failed on every weights server replica tried (127.0.0.1:" + p1
                + ": cannot connect"), e.getMessage());
        assertTrue(e.getMessage().contains("; 127.0.0.1:" + p2 + ": cannot connect"), e.getMessage());
        assertEquals(1, e.getMessage().lines().count());
    }

    /** Flips one bit of one value in the replies to the LINEAR calls {@code which} picks. */
    static Service flipping(Service inner, IntPredicate which) {
        var calls = new AtomicInteger();
        return new Service() {
            @Override
            public CompletableFuture<Message> handle(Peer peer, Message request) {
                CompletableFuture<Message> reply = inner.handle(peer, request);
                if (!(request instanceof Message.Linear) || !which.test(calls.getAndIncrement())) return reply;
                return reply.thenApply(m -> {
                    if (!(m instanceof Message.LinearReply r)) return m;
                    var out = (Rows.RingElements) r.output();
                    long[] data = out.data().clone();
                    data[0] = out.ring().wrap(data[0] ^ 1L << 20);
                    return new Message.LinearReply(new Rows.RingElements(out.ring(), out.rows(), out.cols(), data), r.serverNanos());
                });
            }

            @Override
            public long replyBound(Message request) { return inner.replyBound(request); }
        };
    }
}
