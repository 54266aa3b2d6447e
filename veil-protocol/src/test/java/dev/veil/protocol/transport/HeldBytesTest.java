package dev.veil.protocol.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.veil.engine.Eventually;
import dev.veil.protocol.Codec;
import dev.veil.protocol.ErrorCode;
import dev.veil.protocol.Frame;
import dev.veil.protocol.Message;
import dev.veil.protocol.Rows;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** What a peer makes the server hold is held against its memory budget, and a peer that spent it holds back only itself. */
@Timeout(60)
class HeldBytesTest {
    static final int MIB = 1 << 20;
    static final Message.Linear BIG = HostilePeerTest.linear(1, 1f);
    /** A call and its 4 MiB reply's bound take a third of a 12 MiB budget. */
    static final long BIG_BOUND = 4 * MIB - Codec.size(BIG);

    /** Like a weights server: one shared worker completes every call; layer 1 answers 4 MiB (1M floats), others their input. */
    final ExecutorService worker = Executors.newSingleThreadExecutor();
    final AtomicInteger bigReplies = new AtomicInteger();

    @AfterEach
    void stop() {
        worker.shutdownNow();
    }

    /** @param bounded whether the service says how large a reply may be before computing it (as the weights server does) */
    Service service(boolean bounded) {
        return new Service() {
            @Override
            public CompletableFuture<Message> handle(Peer peer, Message request) {
                if (request instanceof Message.Hello) {
                    peer.greeted(true);
                    return CompletableFuture.completedFuture(new Message.Error(ErrorCode.UNKNOWN_MODEL, "greeted"));
                }
                var l = (Message.Linear) request;
                return CompletableFuture.supplyAsync(() -> {
                    if (l.matrix().layer() != 1) return new Message.LinearReply(l.input(), 1);
                    bigReplies.incrementAndGet();
                    return new Message.LinearReply(new Rows.Floats(1, 1 << 20, new float[1 << 20]), 1);
                }, worker);
            }

            @Override
            public long replyBound(Message request) {
                return bounded && request instanceof Message.Linear l && l.matrix().layer() == 1 ? BIG_BOUND : 0;
            }
        };
    }

    static ServerLimits limits() {
        // the non-readers are never dropped during a test: what holds them back must be the budget
        // less than a peer's backlog of unread replies (16 MiB): memory is what holds them back here
        return ServerLimits.defaults().withMaxPayload(8 * MIB).withMemory(12 * MIB, 12 * MIB).withWriteDeadline(Duration.ofHours(1))
                .withTick(Duration.ofMillis(50));
    }

    /** A greeted peer that reads nothing more. */
    static Socket greeted(TcpServer server) throws Exception {
        var s = new Socket();
        s.setReceiveBufferSize(4096);
        s.connect(new java.net.InetSocketAddress("127.0.0.1", server.port()));
        s.setSoTimeout((int) Eventually.LIMIT.toMillis()); // bounds a hang only
        send(s, 1, new Message.Hello("m"));
        Frame.read(s.getInputStream(), 1 << 16);
        return s;
    }

    static void send(Socket s, int id, Message m) throws Exception {
        s.getOutputStream().write(HostilePeerTest.frame(id, m));
        s.getOutputStream().flush();
    }

    static void honestCalls(TcpServer server) {
        try (var honest = TcpChannel.connect("127.0.0.1", server.port(), null, Eventually.LIMIT)) {
            honest.exchange(new Message.Hello("m"));
            for (int i = 0; i < 20; i++) {
                assertEquals(3, honest.call(HostilePeerTest.linear(2, 1f, 2f, 3f), Message.LinearReply.class).output().cols());
            }
        }
    }

    @Test
    void repliesQueuedForAPeerThatNeverReadsAreHeldAndItIsNoLongerRead() throws Exception {
        try (var server = TcpServer.start(service(false), "127.0.0.1", 0, null, limits(), line -> {})) {
            var a = greeted(server);
            var b = greeted(server);
            for (int i = 1; i <= 3; i++) { // the service bounds no reply: each is held as it is computed
                send(a, i + 1, BIG);
                long n = i;
                Eventually.until("reply " + n + " held", () -> server.metrics().heldBytes() >= n * 4 * MIB);
            }
            send(a, 5, BIG);
            Eventually.until("the non-reader holds all it may, and its next call is not read",
                    () -> server.metrics().waitingForMemory() == 1);
            send(b, 2, BIG);
            Eventually.until("a second non-reader's first reply is held", () -> server.metrics().heldBytes() >= 16L * MIB);
            send(b, 3, BIG);
            Eventually.until("and its next call is not read", () -> server.metrics().waitingForMemory() == 2);
            assertEquals(4, bigReplies.get(), "nothing more was computed for either");
            honestCalls(server);
            a.close();
            b.close();
            Eventually.until("all is given back once they left", () -> server.metrics().heldBytes() == 0);
        }
    }

    @Test
    void aPeerThatSpentTheBudgetHoldsBackOnlyItself() throws Exception {
        try (var server = TcpServer.start(service(true), "127.0.0.1", 0, null, limits(), line -> {}); var a = greeted(server)) {
            for (int i = 2; i < 7; i++) send(a, i, BIG); // bounded replies: held before they are computed, until written
            Eventually.until("the non-reader's calls hold two thirds of the budget",
                    () -> bigReplies.get() >= 2 && server.metrics().heldBytes() >= 8L * MIB);
            try (var b = greeted(server)) { // a second peer's large call does not fit either
                send(b, 2, BIG);
                var reply = (Message.Error) Frame.read(b.getInputStream(), 1 << 16).message();
                assertEquals(ErrorCode.BUSY, reply.code(), reply.text());
            }
            honestCalls(server); // each connection's first bytes are its own: small calls are served
        }
    }

    @Test
    void anAnnouncedFrameIsHeldAsItArrivesNotAsAnnounced() throws Exception {
        try (var server = TcpServer.start(service(false), "127.0.0.1", 0, null, ServerLimits.defaults(), line -> {})) {
            var s = greeted(server);
            byte[] header = ByteBuffer.allocate(Frame.HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN)
                    .put((byte) 'V').put((byte) 'L').put((byte) Frame.VERSION).put((byte) Codec.LINEAR).putInt(2).putInt(256 * MIB).array();
            s.getOutputStream().write(header);
            s.getOutputStream().write(new byte[MIB]);
            s.getOutputStream().flush();
            Eventually.until("the megabyte that arrived is held", () -> server.metrics().heldBytes() >= MIB);
            long held = server.metrics().heldBytes();
            assertTrue(held < 4L * MIB, "256 MiB announced, 1 MiB sent: " + held + " bytes held");
            s.close();
            Eventually.until("nothing is held once it left", () -> server.metrics().heldBytes() == 0);
        }
    }
}
