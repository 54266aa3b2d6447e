package dev.veil.node.shares;

import dev.veil.engine.inference.Generator;
import dev.veil.engine.inference.LinearOps;
import dev.veil.engine.inference.Projection;
import dev.veil.engine.model.Model;
import dev.veil.engine.ring.Ring;
import dev.veil.node.Bytes;
import dev.veil.node.ForwardSession;
import dev.veil.node.Greeting;
import dev.veil.node.Scheme;
import dev.veil.node.Session;
import dev.veil.node.TrustedNode;
import dev.veil.node.remo.RestorationPool;
import dev.veil.protocol.Counts;
import dev.veil.protocol.ErrorCode;
import dev.veil.protocol.MatrixId;
import dev.veil.protocol.Message;
import dev.veil.protocol.ModelDims;
import dev.veil.protocol.ProtocolException;
import dev.veil.protocol.Rows;
import dev.veil.protocol.transport.Channel;
import dev.veil.protocol.transport.CountingChannel;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The trusted node of {@code shares}: the model's weight-free part, a channel to each of the two weights servers,
 * and per matrix what the node needs to read results back without the weights: the row scales of the quantized
 * matrix, fetched at set-up by a {@code SETUP} with one uniform row that both servers must answer identically
 * (so they serve the same weights), and the number of check rows its calls carry. Each {@link #session()} has
 * its own KV cache and its own share generator.
 */
public final class SharesNode implements TrustedNode {
    /** What the node knows of one matrix: shapes, row scales, and the check rows of each call (from the worst-case bound). */
    record Matrix(MatrixId id, int dIn, int dOut, float[] rowScales, int checkRows) {}

    private final Scheme scheme;
    private final Model model;
    private final Channel a, b;
    private final SharesConfig config;
    private final int maxPayload;
    private final Map<MatrixId, Matrix> matrices;
    private final ExecutorService calls = Executors.newVirtualThreadPerTaskExecutor();
    private final SharesStats stats = new SharesStats();
    private final long setupNanos;
    private volatile Consumer<String> faults = message -> System.err.println("veil: " + message);

    private SharesNode(Scheme scheme, Model model, Channel a, Channel b, SharesConfig config, int maxPayload, Map<MatrixId,
            Matrix> matrices,
                       long setupNanos) {
        this.scheme = scheme;
        this.model = model;
        this.a = a;
        this.b = b;
        this.config = config;
        this.maxPayload = maxPayload;
        this.matrices = matrices;
        this.setupNanos = setupNanos;
    }

    /**
     * Greets both weights servers, checks they serve {@code model}'s shape and the same weights, and learns every
     * matrix's row scales. Only the node's part of {@code model} is kept (it needs no weight matrix).
     */
    public static SharesNode connect(Model model, String modelId, Channel a, Channel b, SharesConfig config) {
        if (model.node() == null) throw new IllegalArgumentException("the trusted node needs the model's embedding and norms");
        long t0 = System.nanoTime();
        var welcomeA = Greeting.greet(model, modelId, a);
        var welcomeB = Greeting.greet(model, modelId, b);
        Ring ring = config.numeric().ring;
        var random = new ShareRandom();
        Map<MatrixId, Matrix> matrices = new LinkedHashMap<>();
        var shape = ModelDims.of(model.config());
        try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (MatrixId id : RestorationPool.matrices(shape)) {
                int dIn = shape.inDim(id.projection()), dOut = shape.outDim(id.projection());
                var probe = new Message.Setup(id, new Rows.RingElements(ring, 1, dIn, random.ring(ring, dIn)));
                var replyB = pool.submit(() -> b.call(probe, Message.SetupReply.class));
                var replyA = a.call(probe, Message.SetupReply.class);
                float[] scales = sameWeights(id, ring, dOut, replyA, join(replyB::get));
                int checks = CheckRows.count(ring, dIn, config.checkBits());
                matrices.put(id, new Matrix(id, dIn, dOut, scales, checks));
            }
        }
        var nodePart = new Model(model.config(), model.tokenizer(), model.node(), null);
        return new SharesNode(new SharesScheme(config), nodePart, a, b, config, Math.min(welcomeA.maxFrameBytes(),
                welcomeB.maxFrameBytes()), matrices,
                System.nanoTime() - t0);
    }

    /** The row scales both servers gave, after checking they agree on them and on the probe's product. */
    private static float[] sameWeights(MatrixId id, Ring ring, int dOut, Message.SetupReply ra, Message.SetupReply rb) {
        for (var r : new Message.SetupReply[] {ra, rb}) {
            if (!(r.restoration() instanceof Rows.RingElements e) || e.ring() != ring || e.rows() != 1 || e.cols() != dOut
                    || r.rowScales().length != dOut) {
                throw new ProtocolException(ErrorCode.BAD_SHAPE, "weights server's set-up reply for " + id + " is wrong: expected 1x" + dOut
                        + " values over " + ring + " and " + dOut + " row scales");
            }
        }
        if (!Arrays.equals(((Rows.RingElements) ra.restoration()).data(), ((Rows.RingElements) rb.restoration()).data())
                || !Arrays.equals(ra.rowScales(), rb.rowScales())) {
            throw new ProtocolException(ErrorCode.BAD_SHAPE, "weights servers A and B disagree on " + id
                    + ": they do not serve the same weights (or one of them lies), so shares cannot be added");
        }
        return ra.rowScales();
    }

    @Override
    public Session session() {
        var ownA = new CountingChannel(a);
        var ownB = new CountingChannel(b);
        return new ForwardSession(scheme, new Generator(model, new SharedLinear(this, ownA, ownB)), ownA.traffic(), ownB.traffic());
    }

    /** A new session's generator: the engine's forward pass over a fresh {@link #linear()}. */
    public Generator generator() {
        return new Generator(model, linear());
    }

    /** A fresh shared linear layer (its own share generator) for a session. */
    public LinearOps linear() {
        return new SharedLinear(this, a, b);
    }

    @Override
    public String setupReport() {
        var rows = matrices.values().stream().mapToInt(Matrix::checkRows).summaryStatistics();
        return String.format(Locale.ROOT, "[shares: %s; two weights servers agree on the row scales of %d matrices (%.0f ms); %s]",
                config.numeric(), matrices.size(), setupNanos / 1e6, config.checkBits() == 0 ? "no check rows"
                        : String.format(Locale.ROOT, "%s check row%s a call, a wrong reply passes with probability at most 2^-%d",
                        rows.getMin() == rows.getMax() ? rows.getMin() : rows.getMin() + "-" + rows.getMax(), rows.getMax() == 1 ? "" : "s",
                        config.checkBits()));
    }

    @Override
    public String workReport(long tokens) {
        var s = stats;
        long sent = a.traffic().bytesSent() + b.traffic().bytesSent(), received = a.traffic().bytesReceived() + b.traffic().bytesReceived();
        double total = Math.max(1, s.splitNanos() + s.roundTripNanos() + s.combineNanos() + s.checkNanos());
        return String.format(Locale.ROOT,
                "[shares: %s (%s + %s), %s; %s sent + %s received, both servers (%s per token); "
                        + "time: split %.0f%%, transport and servers %.0f%%, combine %.0f%%, check %.0f%%]",
                Counts.of(s.calls(), "call"), Counts.of(s.rows(), "row"), Counts.of(s.checkRows(), "check row"),
                Counts.of(s.faults(), "fault"), Bytes.format(sent), Bytes.format(received), Bytes.format((sent
                        + received) / Math.max(1, tokens)),
                100 * s.splitNanos() / total, 100 * s.roundTripNanos() / total, 100 * s.combineNanos() / total,
                        100 * s.checkNanos() / total);
    }

    Matrix matrix(Projection p, int layer) {
        Matrix m = matrices.get(new MatrixId(p, p.perLayer() ? layer : 0));
        if (m == null) throw new IllegalArgumentException("no matrix " + p + " at layer " + layer);
        return m;
    }

    /** Input rows one call may carry (check rows come on top) so that request and reply stay within both servers' frame limit. */
    int rowsPerCall(Matrix m) {
        // a seeded call's expanded rows count against the server's bound with its reply's (PROTOCOL.md): d_in + d_out
        long perRow = (long) config.numeric().ring.bytes() * (config.seedB() ? m.dIn() + m.dOut() : Math.max(m.dIn(), m.dOut()));
        long rows = (maxPayload - 1024) / perRow;
        if (config.seedB()) rows = Math.min(rows, Message.SeededLinear.MAX_BYTES / perRow); // the server refuses more
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, rows - m.checkRows()));
    }

    /** Runs {@code call} on a virtual thread of its own: server B's half of a call, while A's runs on the caller's thread. */
    <T> CompletableFuture<T> async(Supplier<T> call) {
        return CompletableFuture.supplyAsync(call, calls);
    }

    /** The value of a future, with the exception the call threw (not wrapped). */
    static <T> T join(java.util.concurrent.Callable<T> get) {
        try {
            return get.call();
        } catch (java.util.concurrent.ExecutionException | CompletionException e) {
            if (e.getCause() instanceof RuntimeException r) throw r;
            throw new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ProtocolException(ErrorCode.CLOSED, "interrupted while waiting for a weights server");
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Where a failed check is reported (default: a line on stderr); the call is retried after it. */
    public void onFault(Consumer<String> listener) {
        this.faults = listener;
    }

    void fault(String message) {
        faults.accept(message);
    }

    /** Check rows per call, smallest and largest over the matrices. */
    public int[] checkRows() {
        var r = matrices.values().stream().mapToInt(Matrix::checkRows).summaryStatistics();
        return new int[] {r.getMin(), r.getMax()};
    }

    /** Check rows of the calls on {@code id}: the attack lab drops them from a call as any curious server can (they come last). */
    public int checkRows(MatrixId id) {
        return matrices.get(id).checkRows();
    }

    @Override public Scheme scheme() { return scheme; }

    @Override public Model model() { return model; }

    public SharesConfig config() { return config; }

    public SharesStats stats() { return stats; }

    /** The channel to weights server A (0) or B (1). */
    public Channel channel(int server) {
        return server == 0 ? a : b;
    }

    @Override
    public void close() {
        calls.shutdownNow();
        a.close();
        b.close();
    }
}
