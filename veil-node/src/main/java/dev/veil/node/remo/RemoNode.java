package dev.veil.node.remo;

import dev.veil.engine.inference.Generator;
import dev.veil.engine.model.Model;
import dev.veil.protocol.ErrorCode;
import dev.veil.protocol.Message;
import dev.veil.protocol.ModelDims;
import dev.veil.protocol.ProtocolException;
import dev.veil.protocol.transport.Channel;

/**
 * The trusted node: the model's weight-free part (embedding, norms, tokenizer, config), a channel to a weights
 * server, and the restoration pool set up over it. Each {@link #generator()} is a session with its own KV
 * cache and its own mask generator; sessions may run concurrently.
 */
public final class RemoNode implements AutoCloseable {
    private final Model model;
    private final Channel channel;
    private final RemoConfig config;
    private final RestorationPool pool;
    private final RemoStats stats = new RemoStats();

    private RemoNode(Model model, Channel channel, RemoConfig config, RestorationPool pool) {
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
        if (model.node() == null) throw new IllegalArgumentException("the trusted node needs the model's embedding and norms");
        var nodePart = new Model(model.config(), model.tokenizer(), model.node(), null);
        var welcome = greet(model, modelId, channel);
        return new RemoNode(nodePart, channel, config, RestorationPool.setup(channel, welcome.shape(), config, welcome.maxFrameBytes()));
    }

    /** Says hello and checks the weights server serves a model of {@code model}'s shape; returns its welcome. */
    public static Message.Welcome greet(Model model, String modelId, Channel channel) {
        var welcome = channel.call(new Message.Hello(modelId), Message.Welcome.class);
        var shape = ModelDims.of(model.config());
        if (!welcome.shape().equals(shape)) {
            throw new ProtocolException(ErrorCode.BAD_SHAPE, "weights server's model '" + welcome.modelId() + "' has shape " + welcome.shape()
                    + ", the node's has " + shape);
        }
        return welcome;
    }

    /** A new session: the engine's generator over a fresh {@link MaskedLinear}. */
    public Generator generator() {
        return new Generator(model, linear());
    }

    /** A fresh masked linear layer (its own DRBG) for a session. */
    public MaskedLinear linear() {
        return new MaskedLinear(pool, channel, stats);
    }

    public Model model() { return model; }

    public RemoConfig config() { return config; }

    public RestorationPool pool() { return pool; }

    public RemoStats stats() { return stats; }

    public Channel channel() { return channel; }

    @Override
    public void close() {
        channel.close();
    }
}
