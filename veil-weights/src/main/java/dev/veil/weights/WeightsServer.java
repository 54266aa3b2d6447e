package dev.veil.weights;

import dev.veil.engine.model.LinearWeights;
import dev.veil.engine.model.LlamaConfig;
import dev.veil.engine.model.NodeParams;
import dev.veil.engine.ring.Ring;
import dev.veil.engine.ring.RingLinearOps;
import dev.veil.protocol.ErrorCode;
import dev.veil.protocol.Frame;
import dev.veil.protocol.MatrixId;
import dev.veil.protocol.Message;
import dev.veil.protocol.ModelDims;
import dev.veil.protocol.ProtocolException;
import dev.veil.protocol.Rows;
import dev.veil.protocol.transcript.TranscriptWriter;
import dev.veil.protocol.transport.Peer;
import dev.veil.protocol.transport.Service;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The weights server: multiplies rows by a weight matrix, nothing else. Setup calls get Rpub = Mpub·Wᵀ, linear
 * calls Ô = Ê·Wᵀ, in float (the engine's kernels) or over a ring (16- or 8-bit weights quantized per output row
 * on first use, wrap-around integer products). It keeps nothing between calls; concurrent calls on one matrix
 * run as one batched multiply. With the layers' norms it also runs CMIF's decoder stack on input embeddings,
 * keeping each session's KV cache ({@link DecoderStack}). Optionally records every call to a transcript.
 */
public final class WeightsServer implements Service, AutoCloseable {
    /** Rows one multiply takes at most (and fewer on a wide matrix, {@link LinearBatcher#BATCH_MACS}); a larger call is cut into parts. */
    public static final int MAX_BATCH_ROWS = 4096;
    /** CMIF sessions open at once over all connections. */
    public static final int MAX_SESSIONS = 1024;

    private final String modelId;
    private final ModelDims shape;
    private final LinearEngine engine;
    private final LinearBatcher batcher;
    private final TranscriptWriter transcript;
    private final int maxPayload;
    private final DecoderStack decoder;
    /** CMIF's decode steps run on a fixed pool: a flood of DECODE calls queues (bounded by the transport), never a thread each. */
    private final ExecutorService decodeThreads = Executors.newFixedThreadPool(Math.max(2, Runtime.getRuntime().availableProcessors()),
            Thread.ofPlatform().daemon().name("veil-decode-", 0).factory());
    private final java.util.Map<Integer, java.util.concurrent.atomic.LongAdder> calls = new java.util.concurrent.ConcurrentHashMap<>();
    private final java.util.concurrent.atomic.LongAdder decodeRows = new java.util.concurrent.atomic.LongAdder();

    /**
     * A server of masked linear calls only (Talaria).
     *
     * @param transcript where to record every call, or null
     */
    public WeightsServer(String modelId, LlamaConfig config, LinearWeights weights, TranscriptWriter transcript) {
        this(modelId, config, weights, null, transcript);
    }

    /**
     * A server of masked linear calls and, when {@code layers} is given, of CMIF's decoder stack: the per-layer
     * norms it needs (only those are kept), with the session KV caches.
     *
     * @param layers the model's weight-free parameters, of which only the per-layer ones are kept; or null
     * @param transcript where to record every call, or null
     */
    public WeightsServer(String modelId, LlamaConfig config, LinearWeights weights, NodeParams layers, TranscriptWriter transcript) {
        this(modelId, config, weights, layers, transcript, Frame.DEFAULT_MAX_PAYLOAD);
    }

    /**
     * As above, announcing {@code maxPayload} in WELCOME (the transport's limit): a call whose reply would be
     * larger is refused before it is computed.
     */
    public WeightsServer(String modelId, LlamaConfig config, LinearWeights weights, NodeParams layers, TranscriptWriter transcript, int maxPayload) {
        this(modelId, ModelDims.of(config), new JavaLinearEngine(config, weights), layers == null ? null : new DecoderStack(config, layers,
                weights, MAX_SESSIONS, Math.max(64L << 20, Math.min(2L << 30, Runtime.getRuntime().maxMemory() / 4))), transcript, maxPayload);
    }

    /**
     * A server of masked linear calls whose products {@code engine} computes (another engine than Veil's own, such as
     * ONNX Runtime): the same protocol, batching, limits and peer handling; no CMIF decoder stack.
     */
    public WeightsServer(String modelId, ModelDims shape, LinearEngine engine, TranscriptWriter transcript, int maxPayload) {
        this(modelId, shape, engine, null, transcript, maxPayload);
    }

    private WeightsServer(String modelId, ModelDims shape, LinearEngine engine, DecoderStack decoder, TranscriptWriter transcript,
            int maxPayload) {
        this.modelId = modelId;
        this.shape = shape;
        this.engine = engine;
        this.transcript = transcript;
        this.maxPayload = maxPayload;
        this.batcher = new LinearBatcher(this::multiply, id -> (long) shape.inDim(id.projection()) * shape.outDim(id.projection()),
                owner -> !((Peer) owner).backlogged(), // a peer that does not read gets no more computed
                MAX_BATCH_ROWS, engine.minBatchRows());
        this.decoder = decoder;
    }

    public String modelId() { return modelId; }

    public ModelDims shape() { return shape; }

    @Override
    public CompletableFuture<Message> handle(Peer peer, Message request) {
        calls.computeIfAbsent(dev.veil.protocol.Codec.type(request), t -> new java.util.concurrent.atomic.LongAdder()).increment();
        long bound = replyBound(request);
        if (bound > maxPayload) {
            throw new ProtocolException(ErrorCode.TOO_LARGE, "the reply would take " + bound + " bytes, over the limit of " + maxPayload
                    + "; send fewer rows per call");
        }
        CompletableFuture<Message> reply = switch (request) {
            case Message.Hello h -> CompletableFuture.completedFuture(hello(peer, h));
            case Message.Setup s -> {
                greeted(peer);
                int m = check(s.matrix(), s.base());
                if (m >= shape.inDim(s.matrix().projection())) {
                    throw new ProtocolException(ErrorCode.BAD_SHAPE, "a public base needs fewer rows than the matrix has inputs (m = " + m
                            + ", d_in = " + shape.inDim(s.matrix().projection()) + ")");
                }
                if (m == 0) throw new ProtocolException(ErrorCode.BAD_SHAPE, "a public base needs at least one row");
                yield batcher.submit(peer, s.matrix(), s.base()).thenApply(r -> new Message.SetupReply(r.output(), rowScales(s.matrix(), s.base())));
            }
            case Message.Linear l -> {
                greeted(peer);
                check(l.matrix(), l.input());
                yield batcher.submit(peer, l.matrix(), l.input()).thenApply(r -> new Message.LinearReply(r.output(), r.nanos()));
            }
            case Message.SeededLinear l -> {
                greeted(peer);
                check(l.matrix(), new Rows.RingElements(l.ring(), 0, l.cols(), new long[0]));
                var e = l.expand(); // its bytes are held against the peer's budget with the reply's (heldBound)
                yield batcher.submit(peer, e.matrix(), e.input()).thenApply(r -> new Message.LinearReply(r.output(), r.nanos()));
            }
            case Message.Decode d -> {
                greeted(peer);
                var stack = decoder();
                decodeRows.add(d.hidden().rows());
                yield CompletableFuture.supplyAsync(() -> stack.decode(peer, d), decodeThreads);
            }
            case Message.EndSession e -> {
                greeted(peer);
                yield CompletableFuture.completedFuture(decoder().end(peer, e.session()));
            }
            default -> throw new ProtocolException(ErrorCode.BAD_FRAME, "a weights server does not accept " + request.getClass().getSimpleName());
        };
        if (transcript == null || request instanceof Message.Hello) return reply;
        return reply.whenComplete((r, e) -> transcript.record(peer.id(), request, r != null ? r : Service.error(e)));
    }

    /**
     * Payload bytes of the reply to {@code request} at most, from its shape alone (PROTOCOL.md, "Messages"). A seeded
     * call that would expand to and answer more than {@link Message.SeededLinear#MAX_BYTES} is refused here, before
     * anything is expanded or held: a 58-byte frame buys at most that much.
     */
    @Override
    public long replyBound(Message request) {
        return switch (request) {
            case Message.Linear l when shape.has(l.matrix()) -> 8 + 9 + outBytes(l.matrix(), l.input().rows(), l.input(), false);
            // with its expansion: a 58-byte frame may not make the server hold more than a LINEAR and its reply could
            case Message.SeededLinear l when shape.has(l.matrix()) -> 8 + 9 + seededReply(l) + l.expandedBytes();
            case Message.Setup s when shape.has(s.matrix()) -> 9 + outBytes(s.matrix(), s.base().rows(), s.base(), false) + 4
                    + 4L * shape.outDim(s.matrix().projection());
            case Message.Decode d -> DecoderStack.replyBytes(d);
            default -> 0;
        };
    }

    /** Bytes held to answer {@code request}: the reply's values in memory (ring elements as longs), and a seeded call's expansion. */
    @Override
    public long heldBound(Message request) {
        return switch (request) {
            case Message.Linear l when shape.has(l.matrix()) -> 64 + outBytes(l.matrix(), l.input().rows(), l.input(), true);
            case Message.SeededLinear l when shape.has(l.matrix()) -> 64 + (seededReply(l) + l.expandedBytes()) / l.ring().bytes() * 8;
            case Message.Setup s when shape.has(s.matrix()) -> 64 + outBytes(s.matrix(), s.base().rows(), s.base(), true)
                    + 4L * shape.outDim(s.matrix().projection());
            default -> replyBound(request);
        };
    }

    private long seededReply(Message.SeededLinear l) {
        int out = shape.outDim(l.matrix().projection());
        long reply = (long) l.rows() * out * l.ring().bytes();
        if (reply + l.expandedBytes() > Message.SeededLinear.MAX_BYTES) {
            long most = Message.SeededLinear.MAX_BYTES / ((long) (l.cols() + out) * l.ring().bytes());
            throw new ProtocolException(ErrorCode.TOO_LARGE, "a SEEDED_LINEAR of " + l.rows() + " rows of " + l.matrix() + " would expand to and "
                    + "answer " + (reply + l.expandedBytes()) + " bytes, over the limit of " + Message.SeededLinear.MAX_BYTES + " ("
                    + most + " rows of this matrix); send fewer rows per call");
        }
        return reply;
    }

    private long outBytes(MatrixId id, int rows, Rows in, boolean held) {
        int element = in instanceof Rows.RingElements e ? (held ? Long.BYTES : e.ring().bytes()) : Float.BYTES;
        return (long) rows * shape.outDim(id.projection()) * element;
    }

    private DecoderStack decoder() {
        if (decoder == null) throw new ProtocolException(ErrorCode.SERVER_ERROR, "this weights server does not run CMIF's decoder stack (started without the layers' norms)");
        return decoder;
    }

    @Override
    public void disconnected(Peer peer) {
        batcher.forget(peer);
        if (decoder != null) decoder.disconnected(peer);
    }

    /** CMIF sessions open over all connections. */
    public int openSessions() {
        return decoder == null ? 0 : decoder.openSessions();
    }

    private Message hello(Peer peer, Message.Hello h) {
        if (!h.modelId().equals(modelId)) {
            // never name the served model: the asker may not be a node of this deployment (plaintext, or a bad guess)
            throw new ProtocolException(ErrorCode.UNKNOWN_MODEL, "this weights server does not serve model '" + h.modelId() + "'");
        }
        peer.greeted(true);
        return new Message.Welcome(modelId, shape, maxPayload);
    }

    private static void greeted(Peer peer) {
        if (!peer.greeted()) throw new ProtocolException(ErrorCode.NOT_GREETED, "send HELLO before any other request");
    }

    /** Checks the matrix exists and the block is as wide as its input; returns the rows. */
    private int check(MatrixId id, Rows rows) {
        if (!shape.has(id)) throw new ProtocolException(ErrorCode.BAD_SHAPE, "model '" + modelId + "' has no matrix " + id + " (" + shape.layers() + " layers)");
        int in = shape.inDim(id.projection());
        if (rows.cols() != in) {
            throw new ProtocolException(ErrorCode.BAD_SHAPE, id + " takes rows of " + in + " values, got " + rows.cols());
        }
        return rows.rows();
    }

    private Rows multiply(MatrixId id, Rows x) {
        return engine.multiply(id, x);
    }

    private float[] rowScales(MatrixId id, Rows base) {
        return base instanceof Rows.RingElements e ? rowScales(id, e.ring()) : new float[0];
    }

    /** The row scales of {@code id}'s quantized weights in {@code ring}, from whichever engine computes the products. */
    public float[] rowScales(MatrixId id, Ring ring) {
        return engine.rowScales(id, ring);
    }

    /**
     * The server's quantized weights for {@code ring} (Veil's own engine only). The plain engine's exact mode is this
     * same computation without masks, so an in-process benchmark or demo can use it as its baseline instead of a second copy.
     */
    public RingLinearOps ring(Ring ring) {
        if (!(engine instanceof JavaLinearEngine java)) throw new IllegalStateException("this weights server runs " + engine.describe());
        return java.ring(ring);
    }

    /** Bytes of the weights quantized so far for ring calls (held beside the mapped originals). */
    public long ringBytes() {
        return engine.extraBytes();
    }

    /** Batches run, calls served, rows multiplied, nanoseconds spent multiplying (since start). */
    public long[] stats() {
        return batcher.stats();
    }

    /** Bytes of CMIF's KV caches held now. */
    public long cacheBytes() {
        return decoder == null ? 0 : decoder.cacheBytes();
    }

    /** Counters in Prometheus' text format: calls by type, rows, batches and their fill, CMIF sessions. */
    public void prometheus(StringBuilder out) {
        var byType = new java.util.TreeMap<String, java.util.concurrent.atomic.LongAdder>();
        calls.forEach((t, n) -> byType.put(dev.veil.protocol.Codec.name(t), n));
        dev.veil.protocol.transport.ServerMetrics.labelled(out, "veil_calls_total", "Requests handled, by message type.", "type", byType);
        long[] s = batcher.stats();
        dev.veil.protocol.transport.ServerMetrics.counter(out, "veil_batches_total", "Matrix multiplies run (each one batch).", s[0]);
        dev.veil.protocol.transport.ServerMetrics.counter(out, "veil_batch_calls_total", "Calls (or parts of cut calls) in those batches.", s[1]);
        dev.veil.protocol.transport.ServerMetrics.counter(out, "veil_batch_rows_total",
                "Rows multiplied; divided by veil_batches_total and " + MAX_BATCH_ROWS + ", the mean batch fill.", s[2]);
        dev.veil.protocol.transport.ServerMetrics.counter(out, "veil_batch_seconds_total", "Seconds spent multiplying.", s[3] / 1_000_000_000L);
        dev.veil.protocol.transport.ServerMetrics.counter(out, "veil_decode_rows_total", "Rows of CMIF decode calls.", decodeRows.sum());
        dev.veil.protocol.transport.ServerMetrics.gauge(out, "veil_cmif_sessions_open", "CMIF sessions open now.", openSessions());
        dev.veil.protocol.transport.ServerMetrics.gauge(out, "veil_cmif_cache_bytes", "Bytes of CMIF KV caches held now.", cacheBytes());
        engine.prometheus(out);
    }

    @Override
    public void close() {
        batcher.close();
        decodeThreads.shutdown();
        engine.close();
    }
}
