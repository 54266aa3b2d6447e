package dev.veil.weights;

import dev.veil.engine.inference.Forward;
import dev.veil.engine.inference.KVCache;
import dev.veil.engine.inference.LocalLinearOps;
import dev.veil.engine.model.LinearWeights;
import dev.veil.engine.model.LlamaConfig;
import dev.veil.engine.model.NodeParams;
import dev.veil.protocol.ErrorCode;
import dev.veil.protocol.Message;
import dev.veil.protocol.ProtocolException;
import dev.veil.protocol.Rows;
import dev.veil.protocol.transport.Peer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * CMIF's server half: the decoder layers (their norms and weight matrices) and each session's KV cache, kept
 * here between steps so that a decode step sends one row, not the whole history. A session belongs to the
 * connection that opened it and goes when that connection closes. Holds no embedding, final norm or LM head.
 */
final class DecoderStack {
    static final int MAX_SESSIONS_PER_CONNECTION = 64;
    private static final int INITIAL_CAPACITY = 256;

    private final LlamaConfig config;
    private final Forward layers;
    private final Map<Integer, Map<Long, KVCache>> sessions = new ConcurrentHashMap<>();

    DecoderStack(LlamaConfig config, NodeParams params, LinearWeights weights) {
        this.config = config;
        this.layers = new Forward(config, layersOnly(params), new LocalLinearOps(config, weights));
    }

    /** The per-layer parameters of {@code params}: no embedding table and no final norm reach the server. */
    static NodeParams layersOnly(NodeParams p) {
        return new NodeParams(null, p.attnNorm(), p.ffnNorm(), null, p.qNorm(), p.kNorm(), p.qkvBias());
    }

    Message.DecodeReply decode(Peer peer, Message.Decode d) {
        if (!(d.hidden() instanceof Rows.Floats x)) throw new ProtocolException(ErrorCode.BAD_SHAPE, "decode takes float32 hidden states");
        int n = x.rows(), dim = config.dim();
        if (x.cols() != dim) throw new ProtocolException(ErrorCode.BAD_SHAPE, "decode takes rows of " + dim + " values, got " + x.cols());
        if (n == 0) throw new ProtocolException(ErrorCode.BAD_SHAPE, "decode needs at least one row");
        if ((long) d.position() + n > config.contextLength()) {
            throw new ProtocolException(ErrorCode.BAD_SHAPE, "positions " + d.position() + ".." + (d.position() + n - 1)
                    + " exceed the model's context of " + config.contextLength());
        }
        var mine = sessions.computeIfAbsent(peer.id(), id -> new ConcurrentHashMap<>());
        KVCache cache;
        synchronized (mine) {
            cache = mine.get(d.session());
            if (d.position() == 0) {
                if (cache == null && mine.size() >= MAX_SESSIONS_PER_CONNECTION) {
                    throw new ProtocolException(ErrorCode.BAD_SHAPE, "too many open sessions on this connection (" + MAX_SESSIONS_PER_CONNECTION + "); end some first");
                }
                cache = new KVCache(config, Math.min(config.contextLength(), Math.max(INITIAL_CAPACITY, n)));
            } else if (cache == null) {
                throw new ProtocolException(ErrorCode.BAD_SHAPE, "unknown session; start it at position 0");
            } else if (d.position() > cache.length()) {
                throw new ProtocolException(ErrorCode.BAD_SHAPE, "session is at position " + cache.length() + ", cannot continue at " + d.position());
            } else {
                cache.truncate(d.position());
            }
            if (cache.capacity() < d.position() + n) {
                cache = cache.resized(config, Math.min(config.contextLength(), Math.max(2 * cache.capacity(), d.position() + n)));
            }
            mine.put(d.session(), cache);
        }
        float[] h = java.util.Arrays.copyOf(x.data(), n * dim);
        long t0 = System.nanoTime();
        synchronized (cache) {
            layers.layers(h, n, cache);
        }
        return new Message.DecodeReply(new Rows.Floats(n, dim, h), System.nanoTime() - t0);
    }

    Message.SessionEnded end(Peer peer, long session) {
        var mine = sessions.get(peer.id());
        if (mine != null) mine.remove(session);
        return new Message.SessionEnded(session);
    }

    void disconnected(Peer peer) {
        sessions.remove(peer.id());
    }

    /** Open sessions over all connections. */
    int openSessions() {
        return sessions.values().stream().mapToInt(Map::size).sum();
    }
}
