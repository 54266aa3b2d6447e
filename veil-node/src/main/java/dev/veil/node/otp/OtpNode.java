package dev.veil.node.otp;

import dev.veil.node.IntegrityException;
import dev.veil.engine.inference.Generator;
import dev.veil.engine.inference.Projection;
import dev.veil.engine.model.Model;
import dev.veil.engine.ring.Ring;
import dev.veil.engine.ring.RingLinearOps;
import dev.veil.engine.ring.RingMatrix;
import dev.veil.node.remo.RestorationPool;
import dev.veil.node.Bytes;
import dev.veil.node.ForwardSession;
import dev.veil.node.Greeting;
import dev.veil.node.Scheme;
import dev.veil.node.Session;
import dev.veil.node.TrustedNode;
import dev.veil.protocol.Counts;
import dev.veil.protocol.transport.CountingChannel;
import java.util.Locale;
import dev.veil.protocol.MatrixId;
import dev.veil.protocol.ModelDims;
import dev.veil.protocol.transport.Channel;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * A trusted node for ReMO with one-time pads ({@code remo-otp}): every outsourced call is masked with a fresh
 * mask uniform over the whole ring, so the weights server sees a one-time pad of each activation. The node
 * holds the linear weights itself (quantized for the ring) to make the restoration terms M·Wᵀ ahead of need
 * and to check the server's answers with Freivalds' test. Each {@link #generator()} is a session with its own
 * KV cache and DRBG; pools, checks and the channel are shared.
 */
public final class OtpNode implements TrustedNode {
    /** One outsourced matrix as the node holds it: the quantized weights, its pads, its check. */
    record Matrix(MatrixId id, RingMatrix w, float[] rowScales, PadPool pads, FreivaldsCheck check) {}

    private final Scheme scheme;
    private final Model model;
    private final Channel channel;
    private final OtpConfig config;
    private final int maxPayload;
    private final Map<MatrixId, Matrix> matrices;
    private final PadProducer producer;
    private final OtpStats stats;
    private final long weightBytes;
    private volatile Consumer<String> faults = message -> System.err.println("veil: " + message);
    private volatile Consumer<IntegrityException> badServer = e -> {};
    private volatile IntegrityException bad; // set once the server failed a call's every check: no further call goes to it

    private OtpNode(Scheme scheme, Model model, Channel channel, OtpConfig config, int maxPayload, Map<MatrixId, Matrix> matrices, PadProducer producer,
                           OtpStats stats, long weightBytes) {
        this.scheme = scheme;
        this.model = model;
        this.channel = channel;
        this.config = config;
        this.maxPayload = maxPayload;
        this.matrices = matrices;
        this.producer = producer;
        this.stats = stats;
        this.weightBytes = weightBytes;
    }

    /**
     * Greets the weights server, checks it serves the same model shape, quantizes every weight matrix for the
     * ring (as the server does) and starts filling the pad pools. {@code model} must hold the node's part and
     * the weight matrices; only their quantized copies are kept.
     */
    public static OtpNode connect(Model model, String modelId, Channel channel, OtpConfig config) {
        if (model.linear() == null) throw new IllegalArgumentException("remo-otp's trusted node needs the model's weight matrices too");
        return connect(model, new RingLinearOps(model.config(), model.linear(), config.numeric().ring), modelId, channel, config);
    }

    /** As {@link #connect(Model, String, Channel, OtpConfig)}, with weights already quantized for the ring (shared, e.g. with the plain exact mode). */
    public static OtpNode connect(Model model, RingLinearOps ringOps, String modelId, Channel channel, OtpConfig config) {
        if (model.node() == null) throw new IllegalArgumentException("the trusted node needs the model's embedding and norms");
        Ring ring = config.numeric().ring;
        if (ringOps.ring() != ring) throw new IllegalArgumentException("weights quantized for " + ringOps.ring() + ", not " + ring);
        var welcome = Greeting.greet(model, modelId, channel);
        var stats = new OtpStats();
        var producer = new PadProducer(config.producers());
        Map<MatrixId, Matrix> matrices = new LinkedHashMap<>();
        long bytes = 0;
        for (MatrixId id : RestorationPool.matrices(ModelDims.of(model.config()))) {
            RingMatrix w = ringOps.matrix(id.projection(), id.layer());
            bytes += w.byteSize();
            matrices.put(id, new Matrix(id, w, w.rowScales(), new PadPool(id, ring, w, config.poolRows(), config.batchRows(), producer, stats),
                    new FreivaldsCheck(ring, w, config.checkBits(), config.rotateAfter(), producer, stats)));
        }
        var nodePart = new Model(model.config(), model.tokenizer(), model.node(), null);
        return new OtpNode(new OtpScheme(config), nodePart, channel, config, welcome.maxFrameBytes(), matrices, producer, stats, bytes);
    }

    @Override
    public Session session() {
        var own = new CountingChannel(channel);
        return new ForwardSession(scheme, new Generator(model, new OneTimePadLinear(this, own)), own.traffic());
    }

    /** A new session's generator: the engine's forward pass over a fresh {@link OneTimePadLinear}. */
    public Generator generator() {
        return new Generator(model, linear());
    }

    /** A fresh outsourced linear layer (its own DRBG) for a session. */
    public OneTimePadLinear linear() {
        return new OneTimePadLinear(this, channel);
    }

    @Override
    public String setupReport() {
        var c = config;
        return String.format(Locale.ROOT, "[remo-otp: %s; %d matrices quantized on the node (%s); pad pools of %d rows (%s when full), %d producer%s; "
                        + "Freivalds check on %s to 2^-%d]",
                c.numeric(), matrixCount(), Bytes.format(weightBytes), c.poolRows(), Bytes.format(poolCapacityBytes()), c.producers(),
                c.producers() == 1 ? "" : "s", c.checkRate() >= 1 ? "every call" : String.format(Locale.ROOT, "%.0f%% of calls", 100 * c.checkRate()),
                c.checkBits());
    }

    @Override
    public String workReport(long tokens) {
        var s = stats;
        var t = channel.traffic();
        double total = Math.max(1, s.maskNanos() + s.restoreNanos() + s.checkNanos() + s.roundTripNanos());
        return String.format(Locale.ROOT, "[remo-otp: %s (%s, %d made on the spot), %d checked, %s; %s sent + %s received (%s per token); "
                        + "time: mask %.0f%%, restore %.0f%%, check %.0f%%, transport %.0f%%, server %.0f%%; producers %.0f ms CPU for %d pad rows]",
                Counts.of(s.calls(), "call"), Counts.of(s.rows(), "row"), s.dryRows(), s.checks(), Counts.of(s.faults(), "fault"),
                Bytes.format(t.bytesSent()), Bytes.format(t.bytesReceived()),
                Bytes.format((t.bytesSent() + t.bytesReceived()) / Math.max(1, tokens)), 100 * s.maskNanos() / total, 100 * s.restoreNanos() / total,
                100 * s.checkNanos() / total, 100 * s.transportNanos() / total, 100 * s.serverNanos() / total, s.producerCpuNanos() / 1e6, s.producedRows());
    }

    @Override public Scheme scheme() { return scheme; }

    Matrix matrix(Projection p, int layer) {
        Matrix m = matrices.get(new MatrixId(p, p.perLayer() ? layer : 0));
        if (m == null) throw new IllegalArgumentException("no matrix " + p + " at layer " + layer);
        return m;
    }

    /** How many rows one call may carry so that request and reply stay within the server's frame limit. */
    int rowsPerCall(Matrix m) {
        long perRow = (long) config.numeric().ring.bytes() * Math.max(m.w().cols(), m.w().rows());
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, (maxPayload - 1024) / perRow));
    }

    /** Where a check failure is reported (default: a line on stderr); the call is retried after it. */
    public void onFault(Consumer<String> listener) {
        this.faults = listener;
    }

    void fault(String message) {
        faults.accept(message);
    }

    /**
     * Where it is reported that the weights server failed a call's checks on every attempt and was marked bad: the
     * hook for failing over to another replica (the node itself sends nothing more to this one).
     */
    public void onServerBad(Consumer<IntegrityException> listener) {
        this.badServer = listener;
    }

    /** The failure that marked the weights server bad, or null while it is trusted. */
    public IntegrityException serverFault() {
        return bad;
    }

    /** Marks the server bad after a call failed its checks on every attempt, and tells the listener. */
    void markBad(IntegrityException e) {
        boolean first;
        synchronized (this) {
            first = bad == null;
            if (first) bad = e;
        }
        if (first) badServer.accept(e);
    }

    /** Refuses to send a call to a server marked bad. */
    void requireTrusted() {
        IntegrityException e = bad;
        if (e != null) {
            throw new IntegrityException(channel.peer() + " was marked bad (" + e.getMessage() + "); no further calls are sent to it");
        }
    }

    /** Until the pads and checks the sessions used are made again (at most 10 minutes). */
    @Override
    public void settle() throws InterruptedException {
        awaitTopUp(java.time.Duration.ofMinutes(10));
    }

    /**
     * Waits until the producers are idle: every pool topped up (a pool is refilled a whole batch at a time, once it
     * has room for one; at the start they fill completely) and every check's vectors drawn. Returns false if the
     * timeout passed first or there are no producers.
     */
    public boolean awaitTopUp(java.time.Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (!matrices.values().stream().allMatch(m -> m.pads().toppedUp() && m.check().ready()) || producer.busy()) {
            if (System.nanoTime() > end || !producer.running()) return false;
            Thread.sleep(2);
        }
        return true;
    }

    /** Redraws every matrix's secret Freivalds vectors in the background now (they are also redrawn periodically). */
    public void rotateChecks() {
        matrices.values().forEach(m -> m.check().rotateLater());
    }

    /** Bytes of all pools when full: the node's memory budget for precomputed pads. */
    public long poolCapacityBytes() {
        return matrices.values().stream().mapToLong(m -> m.pads().capacityBytes()).sum();
    }

    /** Bytes of pads held now. */
    public long poolBytes() {
        return matrices.values().stream().mapToLong(m -> m.pads().bytesHeld()).sum();
    }

    /** Bytes of the secret Freivalds vectors (r and Wᵀ·r) of every matrix. */
    public long checkBytes() {
        return matrices.values().stream().mapToLong(m -> m.check().byteSize()).sum();
    }

    /** Bytes of the quantized weight matrices the node holds (the change of trust: docs/otp.md). */
    public long weightBytes() {
        return weightBytes;
    }

    /** Rounds of Freivalds' test, smallest and largest over the matrices (fixed per matrix by its d_in and the ring). */
    public int[] checkRounds() {
        var r = matrices.values().stream().mapToInt(m -> m.check().rounds()).summaryStatistics();
        return new int[] {r.getMin(), r.getMax()};
    }

    /** Outsourced matrices (pools). */
    public int matrixCount() {
        return matrices.size();
    }

    @Override public Model model() { return model; }

    public OtpConfig config() { return config; }

    public OtpStats stats() { return stats; }

    public Channel channel() { return channel; }

    @Override
    public void close() {
        producer.close();
        channel.close();
    }
}
