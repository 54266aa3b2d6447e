package dev.veil.grpc;

import dev.veil.protocol.transport.ByteBudget;
import dev.veil.protocol.transport.Peer;
import dev.veil.protocol.transport.ServerLimits;
import dev.veil.protocol.transport.ServerMetrics;
import dev.veil.protocol.transport.Tls;
import dev.veil.weights.WeightsServer;
import io.grpc.Attributes;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerTransportFilter;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.ApplicationProtocolConfig;
import io.grpc.netty.shaded.io.netty.handler.ssl.ClientAuth;
import io.grpc.netty.shaded.io.netty.handler.ssl.IdentityCipherSuiteFilter;
import io.grpc.netty.shaded.io.netty.handler.ssl.JdkSslContext;
import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import javax.net.ssl.SSLContext;

/**
 * The weights server's Open Inference Protocol v2 port over gRPC (KServe v2 {@code inference.GRPCInferenceService}, Triton's
 * gRPC port; docs/oip.md): the same {@link WeightsServer} (batcher, transcript, checks) as the REST port, within the same
 * {@link ServerLimits} and holding its peers' bytes against the server's one {@link ByteBudget}:
 *
 * <ul>
 *   <li>a message is at most the largest payload plus 64 KiB (gRPC refuses a larger one from its 5-byte prefix, before
 *       allocating, with RESOURCE_EXHAUSTED); metadata at most 16 KiB;
 *   <li>a connection has at most {@link #MAX_CALLS} calls at once (HTTP/2 streams), and connections past the limit get
 *       UNAVAILABLE on every call;
 *   <li>every call holds its request, its decoded rows and its reply's bound against the budget from its parse until
 *       gRPC reports the call complete (the reply handed to the socket) or cancelled: a peer that does not read holds
 *       its own share and stops getting more;
 *   <li>the TLS handshake and HTTP/2 preface within the greeting deadline; keepalive pings every write deadline, a peer
 *       that does not answer within another is dropped; a connection idle for the idle timeout is closed, and any
 *       connection is asked to go away after it (then given the frame deadline to finish its calls);
 *   <li>calls run on a fixed pool of threads, Netty's event loops are Netty's own fixed pool: no thread per peer.
 * </ul>
 *
 * <p>Like the REST port, the protocol has no attestation: over mutual TLS only nodes' certificates open a connection,
 * without TLS it listens on loopback only (the caller's check).
 */
public final class OipGrpcServer implements AutoCloseable {
    /** Calls (HTTP/2 streams) one connection may have open at once. */
    public static final int MAX_CALLS = 64;
    /** Bytes of a call's metadata (headers) at most. */
    public static final int MAX_METADATA = 16 << 10;

    static final Attributes.Key<Conn> CONN = Attributes.Key.create("veil-oip-grpc-connection");
    static final Context.Key<Call> CALL = Context.key("veil-oip-grpc-call");

    private final Server server;
    final ExecutorService threads;
    final WeightsServer weights;
    final ServerLimits limits;
    final ByteBudget budget;
    final Consumer<String> log;
    private final AtomicInteger open = new AtomicInteger();
    final AtomicLong held = new AtomicLong();
    final LongAdder requests = new LongAdder(), bytesIn = new LongAdder(), bytesOut = new LongAdder();
    final Map<String, LongAdder> statuses = new ConcurrentHashMap<>();
    private volatile boolean closed;

    /** One connection: its peer (for the batcher) and its account against the budget. */
    final class Conn extends ByteBudget.Account {
        final Peer peer;
        final boolean refused;
        volatile boolean gone;

        Conn(String address, boolean refused) {
            this.peer = new Peer(address);
            this.refused = refused;
            peer.greeted(true); // the protocol has no greeting: a peer that reached this port is served
        }

        @Override
        protected boolean closing() {
            return gone || closed;
        }
    }

    /** One call: its connection, and the bytes it holds until gRPC reports it complete or cancelled. */
    final class Call {
        final Conn conn;
        private long held; // guarded by this

        Call(Conn conn) {
            this.conn = conn;
        }

        /** Holds {@code bytes} more for this call, waiting at most four ticks for room; false when there is none. */
        boolean hold(long bytes) {
            long mine;
            synchronized (this) {
                mine = held;
            }
            if (!budget.acquire(conn, bytes, mine, limits.tick().toNanos() * 4)) return false;
            synchronized (this) {
                held += bytes;
            }
            OipGrpcServer.this.held.addAndGet(bytes);
            return true;
        }

        void releaseAll() {
            long n;
            synchronized (this) {
                n = held;
                held = 0;
            }
            if (n == 0) return;
            budget.release(conn, n);
            OipGrpcServer.this.held.addAndGet(-n);
        }
    }

    private OipGrpcServer(WeightsServer weights, InetSocketAddress address, SSLContext tls, ServerLimits limits, ByteBudget budget,
            Consumer<String> log) throws IOException {
        this.weights = weights;
        this.limits = limits;
        this.budget = budget;
        this.log = log;
        this.threads = Executors.newFixedThreadPool(Math.max(2, Runtime.getRuntime().availableProcessors()),
                Thread.ofPlatform().daemon().name("veil-oip-grpc-", 0).factory());
        var builder = NettyServerBuilder.forAddress(address)
                .executor(threads)
                .maxInboundMessageSize(maxMessage(limits))
                .maxInboundMetadataSize(MAX_METADATA)
                .maxConcurrentCallsPerConnection(MAX_CALLS)
                .handshakeTimeout(limits.greetingDeadline().toMillis(), TimeUnit.MILLISECONDS)
                .keepAliveTime(limits.writeDeadline().toMillis(), TimeUnit.MILLISECONDS)
                .keepAliveTimeout(limits.writeDeadline().toMillis(), TimeUnit.MILLISECONDS)
                .maxConnectionIdle(limits.idleTimeout().toMillis(), TimeUnit.MILLISECONDS)
                .maxConnectionAge(limits.idleTimeout().toMillis(), TimeUnit.MILLISECONDS)
                .maxConnectionAgeGrace(limits.frameDeadline().toMillis(), TimeUnit.MILLISECONDS)
                .addTransportFilter(new Connections())
                .intercept(new Calls())
                .addService(new OipGrpcService(this));
        if (tls != null) builder.sslContext(netty(tls));
        try {
            this.server = builder.build().start();
        } catch (IOException e) {
            threads.shutdownNow();
            Throwable c = e.getCause() != null ? e.getCause() : e;
            throw new IOException("cannot listen for the Open Inference Protocol (gRPC) on " + address.getHostString() + ":"
                    + address.getPort() + ": " + c.getMessage() + (c instanceof BindException && address.getPort() != 0
                    ? " (port " + address.getPort() + " is taken)" : ""), e);
        }
    }

    /**
     * Serves {@code weights} on {@code host:port} (0: any free port), over mutual TLS 1.3 when {@code tls} is given (the
     * same context as the Veil port's: TLS 1.3, node certificates only), holding peers' bytes against {@code budget}.
     */
    public static OipGrpcServer start(WeightsServer weights, String host, int port, SSLContext tls, ServerLimits limits, ByteBudget budget,
            Consumer<String> log) throws IOException {
        InetAddress address;
        try {
            address = InetAddress.getByName(host);
        } catch (UnknownHostException e) {
            throw new IOException("cannot listen for the Open Inference Protocol (gRPC) on " + host + ":" + port + ": unknown host '"
                    + host + "'", e);
        }
        return new OipGrpcServer(weights, new InetSocketAddress(address, port), tls, limits, budget, log);
    }

    /** The largest message taken: the largest payload and room for a request's protobuf fields around it. */
    public static int maxMessage(ServerLimits limits) {
        return (int) Math.min(Integer.MAX_VALUE, (long) limits.maxPayload() + (64 << 10));
    }

    /** The JDK context as Netty's: the same key, trust and role check; TLS 1.3 only; HTTP/2 by ALPN as gRPC needs. */
    private static JdkSslContext netty(SSLContext tls) {
        var alpn = new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
                ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT, "h2");
        return new JdkSslContext(tls, false, Arrays.asList(Tls.SUITES), IdentityCipherSuiteFilter.INSTANCE, alpn, ClientAuth.REQUIRE,
                Tls.PROTOCOLS, false);
    }

    public int port() {
        return server.getPort();
    }

    /** Bytes held for this port's calls now. */
    public long held() {
        return held.get();
    }

    public int connections() {
        return open.get();
    }

    /** Calls answered with {@code code} so far. */
    public long answered(Status.Code code) {
        var n = statuses.get(code.name());
        return n == null ? 0 : n.sum();
    }

    /** The port's counters in Prometheus' text format, for the weights server's {@code /metrics}. */
    public void prometheus(StringBuilder out) {
        ServerMetrics.counter(out, "veil_oip_grpc_requests_total", "Open Inference Protocol gRPC calls begun.", requests.sum());
        ServerMetrics.labelled(out, "veil_oip_grpc_answers_total", "Open Inference Protocol gRPC answers, by status.", "code", statuses);
        ServerMetrics.counter(out, "veil_oip_grpc_bytes_received_total", "Bytes of OIP gRPC request messages.", bytesIn.sum());
        ServerMetrics.counter(out, "veil_oip_grpc_bytes_sent_total", "Bytes of OIP gRPC reply messages.", bytesOut.sum());
        ServerMetrics.gauge(out, "veil_oip_grpc_connections_open", "OIP gRPC connections open now.", connections());
        ServerMetrics.gauge(out, "veil_oip_grpc_held_bytes", "Bytes held for OIP gRPC calls now.", held());
    }

    /** Counts connections, gives each its account, and lets the weights server forget a peer that left. */
    private final class Connections extends ServerTransportFilter {
        @Override
        public Attributes transportReady(Attributes attributes) {
            boolean refused = open.incrementAndGet() > limits.maxConnections();
            var conn = new Conn(String.valueOf(attributes.get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR)), refused);
            return attributes.toBuilder().set(CONN, conn).build();
        }

        @Override
        public void transportTerminated(Attributes attributes) {
            var conn = attributes == null ? null : attributes.get(CONN); // null: it closed before it was ready
            if (conn == null) return;
            conn.gone = true;
            open.decrementAndGet();
            try {
                weights.disconnected(conn.peer);
            } catch (RuntimeException e) {
                log.accept("oip grpc: " + conn.peer + ": cleanup failed: " + e);
            }
        }
    }

    /** Refuses calls on connections past the limit; gives each call its hold, released when gRPC says the call is over. */
    private final class Calls implements ServerInterceptor {
        @Override
        public <Q, A> ServerCall.Listener<Q> interceptCall(ServerCall<Q, A> call, Metadata headers, ServerCallHandler<Q, A> next) {
            requests.increment();
            var conn = call.getAttributes().get(CONN);
            if (conn == null || conn.refused || closed) {
                count(Status.Code.UNAVAILABLE);
                call.close(Status.UNAVAILABLE.withDescription("the weights server has " + limits.maxConnections()
                        + " gRPC connections open; retry later"), new Metadata());
                return new ServerCall.Listener<>() {};
            }
            var held = new Call(conn);
            var listener = Contexts.interceptCall(Context.current().withValue(CALL, held), new io.grpc.ForwardingServerCall
                    .SimpleForwardingServerCall<>(call) {
                @Override
                public void close(Status status, Metadata trailers) {
                    count(status.getCode());
                    super.close(status, trailers);
                }
            }, headers, next);
            return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(listener) {
                @Override
                public void onComplete() {
                    try {
                        super.onComplete();
                    } finally {
                        held.releaseAll();
                    }
                }

                @Override
                public void onCancel() {
                    try {
                        super.onCancel();
                    } finally {
                        held.releaseAll();
                    }
                }
            };
        }
    }

    void count(Status.Code code) {
        statuses.computeIfAbsent(code.name(), k -> new LongAdder()).increment();
    }

    @Override
    public void close() {
        closed = true;
        server.shutdownNow();
        try {
            server.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        threads.shutdownNow();
    }
}
