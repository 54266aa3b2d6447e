package dev.veil.node.cmif;

import dev.veil.engine.inference.Forward;
import dev.veil.engine.inference.Generator;
import dev.veil.engine.inference.LocalLinearOps;
import dev.veil.engine.inference.Sampler;
import dev.veil.engine.model.LinearWeights;
import dev.veil.engine.model.Model;
import dev.veil.engine.model.NodeParams;
import dev.veil.protocol.ErrorCode;
import dev.veil.protocol.Message;
import dev.veil.protocol.ModelDims;
import dev.veil.protocol.ProtocolException;
import dev.veil.protocol.Rows;
import dev.veil.protocol.transport.Channel;
import java.security.SecureRandom;
import java.util.function.IntConsumer;

/**
 * CMIF's trusted node: tokenizer, sanitizer, embedding table, final norm, LM head and sampling. The decoder
 * layers run on the weights server, which receives the embeddings of the sanitized prompt (and of each
 * generated token) and keeps the session's KV cache; it returns the final hidden states.
 */
public final class CmifNode implements AutoCloseable {
    private final Model model;
    private final Forward local; // embedding and head only
    private final Channel channel;
    private final Sanitizer sanitizer;
    private final PrivacyBudget budget; // null: requests are not charged to a client
    private final SecureRandom handles = new SecureRandom();
    private final ThreadLocal<ExactRandom> random = ThreadLocal.withInitial(ExactRandom::create);

    private CmifNode(Model model, Channel channel, Sanitizer sanitizer, PrivacyBudget budget) {
        this.model = model;
        this.channel = channel;
        this.sanitizer = sanitizer;
        this.budget = budget;
        var lmHead = new LinearWeights(null, null, null, null, null, null, null, model.linear().lmHead());
        this.local = new Forward(model.config(), model.node(), new LocalLinearOps(model.config(), lmHead));
    }

    /**
     * Greets the weights server and checks it serves the same model shape. Of {@code model} the node keeps the
     * tokenizer, embedding, final norm and LM head (the latter from its weights, tied or not).
     */
    public static CmifNode connect(Model model, String modelId, Channel channel, Sanitizer sanitizer) {
        return connect(model, modelId, channel, sanitizer, null);
    }

    /**
     * As {@link #connect(Model, String, Channel, Sanitizer)}, charging every request to its client's privacy budget:
     * requests must then name their client ({@link #generate(String, int[], boolean[], int, Sampler, IntConsumer)}).
     */
    public static CmifNode connect(Model model, String modelId, Channel channel, Sanitizer sanitizer, PrivacyBudget budget) {
        if (model.node() == null || model.linear() == null) {
            throw new IllegalArgumentException("the CMIF node needs the model's embedding, final norm and LM head");
        }
        var p = model.node();
        var nodePart = new Model(model.config(), model.tokenizer(),
                new NodeParams(p.tokenEmbedding(), null, null, p.finalNorm(), null, null, null),
                new LinearWeights(null, null, null, null, null, null, null, model.linear().lmHead()));
        var welcome = channel.call(new Message.Hello(modelId), Message.Welcome.class);
        var shape = ModelDims.of(model.config());
        if (!welcome.shape().equals(shape)) {
            throw new ProtocolException(ErrorCode.BAD_SHAPE, "weights server's model '" + welcome.modelId() + "' has shape " + welcome.shape()
                    + ", the node's has " + shape);
        }
        return new CmifNode(nodePart, channel, sanitizer, budget);
    }

    public Model model() { return model; }

    public Sanitizer sanitizer() { return sanitizer; }

    /** The per-client budget requests are charged to, or null. */
    public PrivacyBudget budget() { return budget; }

    public Channel channel() { return channel; }

    /**
     * One request's outcome: what the server was shown, the privacy spent and what it covers, the client's standing
     * (null without a budget), and the generated tokens.
     */
    public record Result(int[] sanitizedPrompt, Sanitized sanitized, PrivacyBudget.Account account, int[] generated) {
        public Guarantee guarantee() {
            return sanitized.guarantee();
        }
    }

    /**
     * Sanitizes {@code prompt} (positions where {@code editable} is false, such as BOS and template tokens, are
     * kept), then generates up to {@code maxTokens} tokens with the layers on the server. A new session each
     * time, ended afterwards. For a node without a budget.
     */
    public Result generate(int[] prompt, boolean[] editable, int maxTokens, Sampler sampler, IntConsumer onToken) {
        if (budget != null) throw new IllegalStateException("this node charges a privacy budget: name the request's client");
        return run(null, prompt, editable, maxTokens, sampler, onToken);
    }

    /**
     * As {@link #generate(int[], boolean[], int, Sampler, IntConsumer)} for {@code client}: the request's ε is charged
     * to its budget once the prompt is sanitized and before anything is sent; past the budget it fails with
     * {@link PrivacyBudget.ExceededException} and the server sees nothing.
     */
    public Result generate(String client, int[] prompt, boolean[] editable, int maxTokens, Sampler sampler, IntConsumer onToken) {
        if (budget == null) throw new IllegalStateException("this node has no privacy budget to charge");
        return run(client, prompt, editable, maxTokens, sampler, onToken);
    }

    private Result run(String client, int[] prompt, boolean[] editable, int maxTokens, Sampler sampler, IntConsumer onToken) {
        Sanitized s = sanitizer.sanitize(prompt, editable, random.get());
        PrivacyBudget.Account account = budget == null ? null : budget.charge(client, s.totalEpsilon());
        try (var session = new Session()) {
            int[] out = Generator.generate(session::step, model.tokenizer(), model.config().contextLength(), s.ids(), maxTokens, sampler, onToken);
            return new Result(s.ids(), s, account, out);
        }
    }

    /** A sequence on the server: a random handle and the next position. */
    private final class Session implements AutoCloseable {
        private final long handle = handles.nextLong();
        private int position;

        float[] step(int[] tokens) {
            int n = tokens.length, dim = model.config().dim();
            var request = new Message.Decode(handle, position, new Rows.Floats(n, dim, local.embed(tokens)));
            var reply = channel.call(request, Message.DecodeReply.class);
            if (!(reply.hidden() instanceof Rows.Floats h) || h.rows() != n || h.cols() != dim) {
                throw new ProtocolException(ErrorCode.BAD_SHAPE, "weights server returned " + reply.hidden().rows() + "x" + reply.hidden().cols()
                        + " hidden states for " + n + "x" + dim);
            }
            position += n;
            return local.head(h.data(), n, false);
        }

        @Override
        public void close() {
            try {
                channel.call(new Message.EndSession(handle), Message.SessionEnded.class);
            } catch (ProtocolException e) {
                // the connection is gone, and the session with it
            }
        }
    }

    @Override
    public void close() {
        channel.close();
    }
}
