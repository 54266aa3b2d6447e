package dev.veil.node.remo;

import dev.veil.engine.inference.Generator;
import dev.veil.engine.model.Model;
import dev.veil.node.Bytes;
import dev.veil.node.ForwardSession;
import dev.veil.node.Greeting;
import dev.veil.node.Scheme;
import dev.veil.node.Session;
import dev.veil.node.TrustedNode;
import dev.veil.protocol.Counts;
import dev.veil.protocol.ModelDims;
import dev.veil.protocol.transport.Channel;
import dev.veil.protocol.transport.CountingChannel;
import java.util.Locale;

/**
 * ReMO's trusted node: the model's weight-free part (embedding, norms, tokenizer, config), a channel to a
 * weights server, and the restoration pool set up over it. Each {@link #session()} has its own KV cache and
 * its own mask generator; sessions may run concurrently.
 */
public final class RemoNode implements TrustedNode {
    private final Scheme scheme;
    private final Model model;
    private final Channel channel;
    private final RemoConfig config;
    private final RestorationPool pool;
    private final RemoStats stats = new RemoStats();

    private RemoNode(Scheme scheme, Model model, Channel channel, RemoConfig config, RestorationPool pool) {
        this.scheme = scheme;
        this.model = model;
        this.channel = channel;
        this.config = config;
        this.pool = pool;
    }

    /**
     * Greets the weights server, checks it serves the same model shape, and sets up every public base. Only the
     * node's part of {@code model} is kept, even if the whole model was loaded.
     */
    public static RemoNode connect(Model model, String modelId, Channel channel, RemoConfig config) {
        return connect(new RemoScheme(config), model, modelId, channel);
    }

    static RemoNode connect(RemoScheme scheme, Model model, String modelId, Channel channel) {
        if (model.node() == null) throw new IllegalArgumentException("the trusted node needs the model's embedding and norms");
        var nodePart = new Model(model.config(), model.tokenizer(), model.node(), null);
        var welcome = Greeting.greet(model, modelId, channel);
        var pool = RestorationPool.setup(channel, welcome.shape(), scheme.config(), welcome.maxFrameBytes());
        return new RemoNode(scheme, nodePart, channel, scheme.config(), pool);
    }

    @Override
    public Session session() {
        var own = new CountingChannel(channel);
        return new ForwardSession(scheme, new Generator(model, new MaskedLinear(pool, own, stats)), own.traffic());
    }

    /** A new session's generator: the engine's forward pass over a fresh {@link MaskedLinear}. */
    public Generator generator() {
        return new Generator(model, linear());
    }

    /** A fresh masked linear layer (its own DRBG) for a session. */
    public MaskedLinear linear() {
        return new MaskedLinear(pool, channel, stats);
    }

    @Override
    public String setupReport() {
        return String.format(Locale.ROOT, "[remo: %s; set up %d public bases in %.0f ms (%s exchanged), restoration pools hold %s]",
                scheme.describe(), RestorationPool.matrices(ModelDims.of(model.config())).size(), pool.setupNanos() / 1e6,
                Bytes.format(pool.setupBytes()), Bytes.format(pool.byteSize()));
    }

    @Override
    public String workReport(long tokens) {
        var t = channel.traffic();
        double total = Math.max(1, stats.maskNanos() + stats.restoreNanos() + stats.roundTripNanos());
        return String.format(Locale.ROOT,
                "[remo: %s, %s sent + %s received (%s per token); time: mask %.0f%%, restore %.0f%%, transport %.0f%%, server %.0f%%]",
                Counts.of(stats.calls(), "masked call"), Bytes.format(t.bytesSent()), Bytes.format(t.bytesReceived()), Bytes.format((t.bytesSent() + t.bytesReceived()) / Math.max(1, tokens)),
                100 * stats.maskNanos() / total, 100 * stats.restoreNanos() / total, 100 * stats.transportNanos() / total, 100 * stats.serverNanos() / total);
    }

    @Override public Scheme scheme() { return scheme; }

    @Override public Model model() { return model; }

    public RemoConfig config() { return config; }

    public RestorationPool pool() { return pool; }

    public RemoStats stats() { return stats; }

    public Channel channel() { return channel; }

    @Override
    public void close() {
        channel.close();
    }
}
