package dev.veil.node;

import dev.veil.protocol.ErrorCode;
import dev.veil.protocol.Message;
import dev.veil.protocol.ProtocolException;
import dev.veil.protocol.transport.Channel;
import dev.veil.protocol.transport.Traffic;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * One weights-server role served by several replicas of the same model, as one {@link Channel}: the seam where
 * every scheme dials and calls. A scheme runs each call as an {@link #attempt}; when the replica it ran on fails
 * (its connection breaks, it sends an error frame, it misses the per-call deadline, or its answer fails the
 * node's checks) the replica is marked bad for a while and the attempt runs again, built afresh (fresh masks or
 * pads), on the next replica that has not yet seen this call. No replica is given one call twice, so no server
 * sees two maskings of one input. When none is left the call fails with one line naming each replica's fault.
 *
 * <p>Replicas are dialled when first needed and greeted with the node's {@code HELLO}; each must serve the shape
 * the first one announced, with at least its frame limit (the node sized its calls by it).
 */
public final class Replicas implements Channel {
    /** How the node reaches one replica: {@code dial} connects (TCP or TLS, evidence presented) but does not greet. */
    public record Address(String name, Supplier<Channel> dial) {}

    public static final Duration DEFAULT_BACKOFF = Duration.ofSeconds(30);

    private final List<Replica> replicas = new ArrayList<>();
    private final long backoffNanos;
    private final Consumer<String> log;
    private final Traffic spent = new Traffic(); // of connections already dropped
    private volatile Message.Hello hello;
    private volatile Message.Welcome welcome; // the first replica's, which every other one must match
    private int preferred; // where calls go while it is healthy; guarded by this
    private boolean closed; // guarded by this

    /** @param log where a replica's failure and the move to another one are reported, one line each */
    public Replicas(List<Address> addresses, Duration backoff, Consumer<String> log) {
        if (addresses.isEmpty()) throw new IllegalArgumentException("no weights server address");
        for (Address a : addresses) replicas.add(new Replica(a));
        this.backoffNanos = backoff.toNanos();
        this.log = log;
    }

    private static final class Replica {
        final Address address;
        Channel channel; // connected and greeted, or null; the fields are guarded by Replicas.this
        String fault; // why it was last marked bad; null while it never was
        long badUntil; // System.nanoTime()
        boolean forGood; // it failed the node's checks

        Replica(Address address) {
            this.address = address;
        }

        boolean healthy(long now) {
            return fault == null || !forGood && badUntil - now <= 0;
        }
    }

    @Override
    public <T> T attempt(Function<Channel, T> attempt) {
        return run(attempt, replicas.size());
    }

    /**
     * {@code HELLO} is kept to greet every replica; a public base ({@code SETUP}) carries nothing secret and fails
     * over as it is. Any other call sent this way (not through {@link #attempt}) goes to one replica only: if it
     * fails, that replica is marked bad and the call fails.
     */
    @Override
    public Message exchange(Message request) {
        if (request instanceof Message.Hello h) {
            hello = h;
            return run(view -> welcome, replicas.size());
        }
        return run(view -> view.exchange(request), request instanceof Message.Setup ? replicas.size() : 1);
    }

    private <T> T run(Function<Channel, T> attempt, int tries) {
        List<Replica> tried = new ArrayList<>();
        List<String> faults = new ArrayList<>();
        RuntimeException last = null;
        for (Replica r = pick(tried); r != null && tried.size() < tries; ) {
            tried.add(r);
            Channel c = null;
            RuntimeException failure;
            boolean lied = false;
            try {
                c = connect(r);
                var view = new View(c);
                try {
                    return attempt.apply(view);
                } catch (ProtocolException e) {
                    if (!view.failed) throw e; // the request itself was refused: every replica would say the same
                    failure = e;
                }
            } catch (IntegrityException e) {
                failure = e;
                lied = true;
            } catch (ProtocolException e) {
                if (c != null) throw e;
                failure = e; // dialling or greeting it failed
            }
            last = failure;
            String why = oneLine(failure);
            faults.add(r.address.name() + ": " + why);
            boolean first = markBad(r, c, why, lied);
            r = tried.size() < tries ? pick(tried) : null;
            if (r != null && first) log.accept(name(tried.getLast()) + " failed (" + why + "); the call runs again on " + name(r)
                    + ", afresh");
        }
        if (replicas.size() == 1 && last != null) throw last; // one server: its own error, as without replicas
        throw new ProtocolException(ErrorCode.CLOSED, faults.isEmpty() ? "no weights server replica is available: " + standing(tried)
                : "the call failed on every weights server replica tried (" + String.join("; ", faults) + ")"
                + (tried.size() < Math.min(tries, replicas.size()) ? "; the others are marked bad: " + standing(tried) : ""));
    }

    /** The preferred replica if healthy, else the next healthy one not yet tried; null when none is left. */
    private synchronized Replica pick(List<Replica> tried) {
        if (closed) throw new ProtocolException(ErrorCode.CLOSED, "the channel to the weights servers is closed");
        long now = System.nanoTime();
        for (int i = 0; i < replicas.size(); i++) {
            int k = (preferred + i) % replicas.size();
            Replica r = replicas.get(k);
            if (!tried.contains(r) && r.healthy(now)) {
                preferred = k;
                return r;
            }
        }
        return null;
    }

    /** The replica's connection, dialled and greeted when it has none. Dialling happens outside this object's lock. */
    private Channel connect(Replica r) {
        synchronized (this) {
            if (r.channel != null) return r.channel;
        }
        synchronized (r) { // one dial per replica at a time; others wait for it
            synchronized (this) {
                if (r.channel != null) return r.channel;
            }
            Channel c = r.address.dial().get();
            try {
                greet(r, c);
            } catch (RuntimeException e) {
                c.close();
                throw e;
            }
            synchronized (this) {
                if (closed) {
                    c.close();
                    throw new ProtocolException(ErrorCode.CLOSED, "the channel to the weights servers is closed");
                }
                r.channel = c;
                return c;
            }
        }
    }

    private void greet(Replica r, Channel c) {
        if (hello == null) return; // nothing said yet: the scheme greets first
        var w = c.call(hello, Message.Welcome.class);
        synchronized (this) {
            if (welcome == null) {
                welcome = w;
                return;
            }
        }
        if (!w.shape().equals(welcome.shape())) {
            throw new ProtocolException(ErrorCode.BAD_SHAPE, "serves a model of shape " + w.shape() + ", the first replica "
                    + welcome.shape());
        }
        if (w.maxFrameBytes() < welcome.maxFrameBytes()) {
            throw new ProtocolException(ErrorCode.TOO_LARGE, "takes frames up to " + w.maxFrameBytes() + " bytes, the first replica "
                    + welcome.maxFrameBytes());
        }
    }

    /**
     * Drops the replica's connection {@code c} (if still its own: concurrent calls fail together, and it is marked
     * once) and keeps calls away from it for the back-off; for good when it {@code lied} (failed the node's checks).
     * Returns whether this call marked it.
     */
    private boolean markBad(Replica r, Channel c, String why, boolean lied) {
        synchronized (this) {
            if (c != null && r.channel != c) return false;
            r.channel = null;
            r.fault = why;
            r.forGood |= lied;
            r.badUntil = System.nanoTime() + backoffNanos;
            if (c != null) spent.add(c.traffic());
        }
        if (c != null) c.close();
        return true;
    }

    /** Each replica's standing but those {@code tried}, for the error when none is left. */
    private synchronized String standing(List<Replica> tried) {
        List<String> out = new ArrayList<>();
        long now = System.nanoTime();
        for (Replica r : replicas) {
            if (tried.contains(r)) continue;
            String state = r.forGood ? "failed the node's checks: " + r.fault
                    : !r.healthy(now) ? "bad for " + Math.max(1, (r.badUntil - now) / 1_000_000_000L) + " s more: " + r.fault : "healthy";
            out.add(r.address.name() + " " + state);
        }
        return String.join("; ", out);
    }

    private static String name(Replica r) {
        return "weights server " + r.address.name();
    }

    private static String oneLine(RuntimeException e) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return m.replace('\n', ' ');
    }

    @Override
    public String peer() {
        return "weights servers " + String.join(", ", replicas.stream().map(r -> r.address.name()).toList());
    }

    /** Bytes and frames over every replica's connections, past and present. */
    @Override
    public synchronized Traffic traffic() {
        var t = new Traffic();
        t.add(spent);
        for (Replica r : replicas) if (r.channel != null) t.add(r.channel.traffic());
        return t;
    }

    @Override
    public void close() {
        List<Channel> open = new ArrayList<>();
        synchronized (this) {
            closed = true;
            for (Replica r : replicas) {
                if (r.channel != null) open.add(r.channel);
                r.channel = null;
            }
        }
        open.forEach(Channel::close);
    }

    /**
     * One attempt's view of a replica's connection: it notes whether the replica failed it (the connection broke,
     * the deadline passed, or the server sent an error that is about itself rather than about the request).
     */
    private static final class View implements Channel {
        private final Channel replica;
        volatile boolean failed;

        View(Channel replica) {
            this.replica = replica;
        }

        @Override
        public Message exchange(Message request) {
            Message reply;
            try {
                reply = replica.exchange(request);
            } catch (ProtocolException e) {
                failed = true;
                throw e;
            }
            if (reply instanceof Message.Error e) {
                failed = !aboutTheRequest(e.code());
                throw new ProtocolException(e.code(), replica.peer() + ": " + e.text());
            }
            return reply;
        }

        /** Errors every replica would give the same request: failing over would only knock them all out. */
        private static boolean aboutTheRequest(ErrorCode code) {
            return code == ErrorCode.BAD_SHAPE || code == ErrorCode.TOO_LARGE || code == ErrorCode.BAD_FRAME;
        }

        @Override
        public Channel connection() {
            return replica.connection();
        }

        @Override
        public String peer() {
            return replica.peer();
        }

        @Override
        public Traffic traffic() {
            return replica.traffic();
        }

        @Override
        public void close() {}
    }
}
