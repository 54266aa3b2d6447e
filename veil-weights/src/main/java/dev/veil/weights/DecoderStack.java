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
    private final int maxSessions;
    private final long maxCacheBytes;
    private int open; // sessions over all connections; guarded by this
    private long cacheBytes; // guarded by this

    /**
     * @param maxSessions sessions open at once over all connections
     * @param maxCacheBytes bytes of KV caches held at once over all sessions
     */
    DecoderStack(LlamaConfig config, NodeParams params, LinearWeights weights, int maxSessions, long maxCacheBytes) {
        this.config = config;
        this.layers = new Forward(config, layersOnly(params), new LocalLinearOps(config, weights));
        this.maxSessions = maxSessions;
        this.maxCacheBytes = maxCacheBytes;
    }

    /** The per-layer parameters of {@code params}: no embedding table and no final norm reach the server. */
    static NodeParams layersOnly(NodeParams p) {
        return new NodeParams(null, p.attnNorm(), p.ffnNorm(), null, p.qNorm(), p.kNorm(), p.qkvBias());
    }

    /** Bytes of a KV cache with room for {@code capacity} positions. */
    long cacheBytes(int capacity) {
        return 2L * config.layers() * capacity * config.kvDim() * Float.BYTES;
    }

    /** Payload bytes of the reply to {@code d}. */
    static long replyBytes(Message.Decode d) {
        return 8 + 9 + d.hidden().dataBytes();
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
            if (peer.closed()) { // the connection ended while this call waited: keep nothing for it
                sessions.remove(peer.id(), mine);
                throw new ProtocolException(ErrorCode.CLOSED, "the connection closed");
            }
            KVCache old = mine.get(d.session());
            if (d.position() == 0) {
                if (old == null && mine.size() >= MAX_SESSIONS_PER_CONNECTION) {
                    throw new ProtocolException(ErrorCode.BAD_SHAPE, "too many open sessions on this connection (" + MAX_SESSIONS_PER_CONNECTION + "); end some first");
                }
                if (old != null) forget(mine.remove(d.session())); // a restart: the old cache goes first
                cache = null;
            } else if (old == null) {
                throw new ProtocolException(ErrorCode.BAD_SHAPE, "unknown session; start it at position 0");
            } else if (d.position() > old.length()) {
                throw new ProtocolException(ErrorCode.BAD_SHAPE, "session is at position " + old.length() + ", cannot continue at " + d.position());
            } else {
                old.truncate(d.position());
                cache = old;
            }
            int need = d.position() + n;
            int capacity = cache == null ? Math.min(config.contextLength(), Math.max(INITIAL_CAPACITY, n))
                    : cache.capacity() >= need ? cache.capacity() : Math.min(config.contextLength(), Math.max(2 * cache.capacity(), need));
            if (cache == null || capacity != cache.capacity()) {
                reserve(cache, capacity);
                try {
                    cache = cache == null ? new KVCache(config, capacity) : cache.resized(config, capacity);
                } catch (RuntimeException | OutOfMemoryError e) {
                    release(cache == null ? 0 : cache.capacity(), capacity, cache != null);
                    throw e;
                }
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

    /** Holds memory for a cache of {@code capacity} in place of {@code old} (null: a new session), or refuses. */
    private synchronized void reserve(KVCache old, int capacity) {
        long more = cacheBytes(capacity) - (old == null ? 0 : cacheBytes(old.capacity()));
        if (old == null && open >= maxSessions) {
            throw new ProtocolException(ErrorCode.BUSY, "the weights server has " + maxSessions + " CMIF sessions open; retry later");
        }
        if (cacheBytes + more > maxCacheBytes) {
            throw new ProtocolException(ErrorCode.BUSY, "the weights server's KV caches are at their bound of "
                    + (maxCacheBytes >> 20) + " MiB; retry later");
        }
        cacheBytes += more;
        if (old == null) open++;
    }

    /** Undoes {@link #reserve} when the cache could not be made. */
    private synchronized void release(int oldCapacity, int capacity, boolean resized) {
        cacheBytes -= cacheBytes(capacity) - (resized ? cacheBytes(oldCapacity) : 0);
        if (!resized) open--;
    }

    private synchronized void forget(KVCache cache) {
        if (cache == null) return;
        cacheBytes -= cacheBytes(cache.capacity());
        open--;
    }

    Message.SessionEnded end(Peer peer, long session) {
        var mine = sessions.get(peer.id());
        if (mine != null) {
            synchronized (mine) {
                forget(mine.remove(session));
            }
        }
        return new Message.SessionEnded(session);
    }

    void disconnected(Peer peer) {
        peer.close();
        var mine = sessions.remove(peer.id());
        if (mine == null) return;
        synchronized (mine) {
            mine.values().forEach(this::forget);
            mine.clear();
        }
    }

    /** Open sessions over all connections. */
    synchronized int openSessions() {
        return open;
    }

    /** Bytes of KV caches held over all sessions. */
    synchronized long cacheBytes() {
        return cacheBytes;
    }
}
