package dev.veil.node.cmif;

import dev.veil.engine.inference.Forward;
import dev.veil.engine.inference.Generator;
import dev.veil.engine.inference.LocalLinearOps;
import dev.veil.engine.inference.Sampler;
import dev.veil.engine.model.LinearWeights;
import dev.veil.engine.model.Model;
import dev.veil.engine.model.NodeParams;
import dev.veil.node.Bytes;
import dev.veil.node.Greeting;
import dev.veil.node.Scheme;
import dev.veil.node.SessionReport;
import dev.veil.node.TrustedNode;
import dev.veil.protocol.Counts;
import dev.veil.protocol.ErrorCode;
import dev.veil.protocol.Message;
import dev.veil.protocol.ProtocolException;
import dev.veil.protocol.Rows;
import dev.veil.protocol.transport.Channel;
import dev.veil.protocol.transport.CountingChannel;
import java.security.SecureRandom;
import java.util.function.IntConsumer;
import java.util.function.IntPredicate;

/**
 * CMIF's trusted node: tokenizer, sanitizer, embedding table, final norm, LM head and sampling. The decoder
 * layers run on the weights server, which receives the embeddings of the sanitized prompt (and of each
 * generated token) and keeps the session's KV cache; it returns the final hidden states.
 */
public final class CmifNode implements TrustedNode {
    /** Who a session without a named tenant belongs to. */
    public static final String LOCAL_TENANT = "local";

    private final Scheme scheme;
    private final Model model;
    private final Forward local; // embedding and head only
    private final Channel channel;
    private final Sanitizer sanitizer;
    private final PrivacyBudget budget; // null: requests are not charged to a client
    private final SecureRandom handles = new SecureRandom();
    private final ThreadLocal<ExactRandom> random = ThreadLocal.withInitial(ExactRandom::create);
    private final byte[] drawsSecret; // null: fresh draws per request
    private final int drawsWindow;

    private CmifNode(Scheme scheme, Model model, Channel channel, Sanitizer sanitizer, PrivacyBudget budget, byte[] drawsSecret,
                     int drawsWindow) {
        this.scheme = scheme;
        this.drawsSecret = drawsSecret;
        this.drawsWindow = drawsWindow;
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
        return connect(CmifScheme.of(sanitizer), model, modelId, channel, sanitizer, null, null, 0);
    }

    /**
     * As {@link #connect(Model, String, Channel, Sanitizer)}, charging every request to its client's privacy budget:
     * requests must then name their client ({@link #generate(String, int[], boolean[], int, Sampler, IntConsumer)}).
     */
    public static CmifNode connect(Model model, String modelId, Channel channel, Sanitizer sanitizer, PrivacyBudget budget) {
        return connect(CmifScheme.of(sanitizer), model, modelId, channel, sanitizer, budget, null, 0);
    }

    /** @param drawsSecret the node's secret for {@link ConsistentDraws}, or null for fresh draws per request */
    static CmifNode connect(Scheme scheme, Model model, String modelId, Channel channel, Sanitizer sanitizer, PrivacyBudget budget,
                            byte[] drawsSecret, int drawsWindow) {
        if (model.node() == null || model.linear() == null) {
            throw new IllegalArgumentException("the CMIF node needs the model's embedding, final norm and LM head");
        }
        var p = model.node();
        var nodePart = new Model(model.config(), model.tokenizer(),
                new NodeParams(p.tokenEmbedding(), null, null, p.finalNorm(), null, null, null),
                new LinearWeights(null, null, null, null, null, null, null, model.linear().lmHead()));
        Greeting.greet(model, modelId, channel);
        return new CmifNode(scheme, nodePart, channel, sanitizer, budget, drawsSecret, drawsWindow);
    }

    @Override public Model model() { return model; }

    @Override public Scheme scheme() { return scheme; }

    /** A session of the local tenant (the CLI's one user), charged to the node's budget if it has one (then name the client). */
    @Override
    public dev.veil.node.Session session() {
        return session(null, budget);
    }

    /** A session for {@code tenant}, charged to the node's budget if it has one. */
    @Override
    public dev.veil.node.Session session(String tenant) {
        return session(tenant, budget);
    }

    /**
     * A session for {@code client} (the service's tenant; null: the local one, {@link #LOCAL_TENANT}), charged to
     * {@code budget} (null: to none) once its prompt is sanitized and before anything is sent: past the budget its
     * generate fails with {@link PrivacyBudget.ExceededException} and the server sees nothing. The service keeps one
     * budget for all its nodes (the page's recording nodes included), so it passes it here rather than to {@link #connect}.
     * The client also keys the consistent draws ({@link ConsistentDraws}).
     */
    @Override
    public dev.veil.node.Session session(String client, dev.veil.node.TenantBudget tenants) {
        if (tenants != null && !(tenants instanceof PrivacyBudget)) throw new IllegalArgumentException("cmif charges ε to a PrivacyBudget");
        var budget = (PrivacyBudget) tenants;
        var own = new CountingChannel(channel);
        return new dev.veil.node.Session() {
            private Result last;

            @Override
            public int[] generateWhile(int[] prompt, boolean[] editable, int maxTokens, Sampler sampler, IntPredicate onToken) {
                last = run(own, client, budget, prompt, editable, maxTokens, sampler, onToken);
                return last.generated();
            }

            @Override
            public SessionReport report() {
                var t = own.traffic();
                String name = scheme.name(), params = scheme.describe();
                if (last == null) return new SessionReport(name, params, t.calls(), t.bytesSent(), t.bytesReceived(), null, 0, null);
                var s = last.sanitized();
                var g = s.guarantee();
                return new SessionReport(name, params, t.calls(), t.bytesSent(), t.bytesReceived(), s.ids(), s.totalEpsilon(), s.spendLine(),
                        g.verbatimLine(), g.verbatimShare());
            }
        };
    }

    @Override
    public String setupReport() {
        return "[cmif: the decoder layers run on the weights server; the node sanitizes each prompt (" + scheme.describe() + ")]";
    }

    @Override
    public String workReport(long tokens) {
        var t = channel.traffic();
        return "[cmif: " + Counts.of(t.calls(), "call") + ", " + Bytes.format(t.bytesSent()) + " sent + " + Bytes.format(t.bytesReceived()) + " received]";
    }

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
        return run(channel, null, budget, prompt, editable, maxTokens, sampler, Generator.goOn(onToken));
    }

    /**
     * As {@link #generate(int[], boolean[], int, Sampler, IntConsumer)} for {@code client}: the request's ε is charged
     * to its budget once the prompt is sanitized and before anything is sent; past the budget it fails with
     * {@link PrivacyBudget.ExceededException} and the server sees nothing.
     */
    public Result generate(String client, int[] prompt, boolean[] editable, int maxTokens, Sampler sampler, IntConsumer onToken) {
        if (budget == null) throw new IllegalStateException("this node has no privacy budget to charge");
        return run(channel, client, budget, prompt, editable, maxTokens, sampler, Generator.goOn(onToken));
    }

    private Result run(Channel channel, String client, PrivacyBudget budget, int[] prompt, boolean[] editable, int maxTokens,
                       Sampler sampler, IntPredicate onToken) {
        if (budget != null && client == null) throw new IllegalStateException("this node charges a privacy budget: name the request's client");
        Draws draws = drawsSecret == null ? Draws.fresh(random.get())
                : ConsistentDraws.of(drawsSecret, client != null ? client : LOCAL_TENANT, drawsWindow);
        Sanitized s = sanitizer.sanitize(prompt, editable, draws);
        PrivacyBudget.Account account = budget == null ? null : budget.charge(client, s.totalEpsilon());
        try (var session = new Session(channel)) {
            int[] out = Generator.generateWhile(session::step, model.tokenizer(), model.config().contextLength(), s.ids(), maxTokens, sampler,
                    onToken);
            return new Result(s.ids(), s, account, out);
        }
    }

    /**
     * A sequence on the server: a random handle and the next position. Its KV cache lives on one connection; when
     * a step fails over to another replica ({@link Channel#attempt}), the session is rebuilt there first by
     * replaying every step sent so far, unchanged: the same sanitized tokens (sanitizing again would be a second
     * release of the prompt, spending ε again), in the same steps (so the cache is the same, bit for bit).
     */
    private final class Session implements AutoCloseable {
        private final Channel channel;
        private final java.util.List<int[]> sent = new java.util.ArrayList<>();
        private Channel on; // the connection holding the session's cache; null before the first step
        private Channel via; // the (counting) channel the last step went through, to end the session
        private long handle;

        Session(Channel channel) {
            this.channel = channel;
        }

        float[] step(int[] tokens) {
            float[] hidden = channel.attempt(replica -> {
                if (replica.connection() != on) {
                    on = null;
                    long fresh = handles.nextLong(); // nothing links the rebuilt session to the lost one
                    int position = 0;
                    for (int[] t : sent) {
                        decode(replica, fresh, position, t);
                        position += t.length;
                    }
                    handle = fresh;
                    on = replica.connection();
                }
                via = replica;
                return decode(replica, handle, positions(), tokens);
            });
            sent.add(tokens.clone());
            return local.head(hidden, tokens.length, false);
        }

        private int positions() {
            int n = 0;
            for (int[] t : sent) n += t.length;
            return n;
        }

        private float[] decode(Channel replica, long session, int position, int[] tokens) {
            int n = tokens.length, dim = model.config().dim();
            var request = new Message.Decode(session, position, new Rows.Floats(n, dim, local.embed(tokens)));
            var reply = replica.call(request, Message.DecodeReply.class);
            if (!(reply.hidden() instanceof Rows.Floats h) || h.rows() != n || h.cols() != dim) {
                throw new ProtocolException(ErrorCode.BAD_SHAPE, "weights server returned " + reply.hidden().rows() + "x" + reply.hidden().cols()
                        + " hidden states for " + n + "x" + dim);
            }
            return h.data();
        }

        @Override
        public void close() {
            if (on == null) return;
            try {
                via.call(new Message.EndSession(handle), Message.SessionEnded.class);
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
