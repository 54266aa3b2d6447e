package dev.veil.node.shares;

import dev.veil.engine.inference.LinearOps;
import dev.veil.engine.inference.Projection;
import dev.veil.engine.ring.Ring;
import dev.veil.engine.ring.RingStream;
import dev.veil.node.IntegrityException;
import dev.veil.protocol.ErrorCode;
import dev.veil.protocol.Message;
import dev.veil.protocol.ProtocolException;
import dev.veil.protocol.Rows;
import dev.veil.protocol.transport.Channel;

/**
 * The outsourced linear layer under two-server additive sharing, as the forward pass sees it. For each call on
 * E (n rows): encode E over the ring as q (as the plain exact mode does); append ℓ check rows c = α·q with α
 * (ℓ × n) secret and uniform; draw R uniform over the ring for all n + ℓ rows (the stream of a fresh per-call
 * seed); send [q; c] − R to server A and R to server B (as its seed), at once; add the replies,
 * O' = Ô_A + Ô_B = [q; c]·Wᵀ. The check: every check row's result equals α times the rows' results, and every
 * result lies within |O| ≤ ‖q‖₁·w_max. Then O's first n rows are decoded with the row scales, bit for bit as the
 * plain exact engine does. Each server sees n + ℓ uniform rows whatever E is. One per session (it owns the
 * session's generator).
 */
final class SharedLinear implements LinearOps {
    private final SharesNode node;
    private final Channel a, b;
    private final Ring ring;
    private final SharesStats stats;
    private final ShareRandom random = new ShareRandom();
    private final boolean seedB;

    SharedLinear(SharesNode node, Channel a, Channel b) {
        this.node = node;
        this.a = a;
        this.b = b;
        this.ring = node.config().numeric().ring;
        this.stats = node.stats();
        this.seedB = node.config().seedB();
    }

    @Override
    public void apply(Projection p, int layer, float[] x, int n, float[] out) {
        var m = node.matrix(p, layer);
        int chunk = node.rowsPerCall(m);
        for (int r = 0; r < n; r += chunk) call(m, x, r * m.dIn(), Math.min(chunk, n - r), out, r * m.dOut());
    }

    /**
     * One call on both roles. Each role may be several replicas ({@link Channel#attempt}): when one of them fails the
     * call runs again with fresh shares on another replica of that role (the other role's replica then sees a second,
     * independent sharing of the input, which tells it nothing). A failed check cannot be put on one role, so it is
     * no replica's fault: it ends the call as before, past the retries.
     */
    private void call(SharesNode.Matrix m, float[] x, int xOffset, int n, float[] out, int outOffset) {
        try {
            a.attempt(ra -> b.attempt(rb -> {
                try {
                    callOn(ra, rb, m, x, xOffset, n, out, outOffset);
                    return null;
                } catch (IntegrityException e) {
                    throw new EitherRole(e);
                }
            }));
        } catch (EitherRole e) {
            throw e.fault;
        }
    }

    /** A failed check of a pair of replies: either role may have lied. */
    private static final class EitherRole extends RuntimeException {
        final IntegrityException fault;

        EitherRole(IntegrityException fault) {
            super(fault.getMessage(), null, false, false);
            this.fault = fault;
        }
    }

    private void callOn(Channel a, Channel b, SharesNode.Matrix m, float[] x, int xOffset, int n, float[] out, int outOffset) {
        int dIn = m.dIn(), dOut = m.dOut(), l = m.checkRows(), rows = n + l;
        long t0 = System.nanoTime();
        long[] q = new long[rows * dIn];
        for (int i = 0; i < n * dIn; i++) q[i] = ring.quantize(x[xOffset + i]);
        long encoding = System.nanoTime() - t0;
        for (int attempt = 0; ; attempt++) {
            long t1 = System.nanoTime();
            long[] alpha = random.ring(ring, l * n);
            CheckRows.combine(ring, alpha, q, n, l, dIn, q, n * dIn); // check rows, after the n input rows
            byte[] seed = random.seed(); // B's share is this seed's stream: B is sent the seed, or the rows
            long[] shareB = RingStream.expand(ring, seed, rows * dIn), shareA = new long[rows * dIn];
            for (int i = 0; i < shareA.length; i++) shareA[i] = ring.wrap(q[i] - shareB[i]);
            long t2 = System.nanoTime();
            Message toB = seedB ? new Message.SeededLinear(m.id(), ring, rows, dIn, seed)
                    : new Message.Linear(m.id(), new Rows.RingElements(ring, rows, dIn, shareB));
            var replyB = node.async(() -> b.call(toB, Message.LinearReply.class));
            var replyA = a.call(new Message.Linear(m.id(), new Rows.RingElements(ring, rows, dIn, shareA)), Message.LinearReply.class);
            var rb = SharesNode.join(replyB::get);
            long t3 = System.nanoTime();
            long[] o = output(m, replyA.output(), rows, dOut, "A");
            long[] ob = output(m, rb.output(), rows, dOut, "B");
            for (int i = 0; i < o.length; i++) o[i] = ring.wrap(o[i] + ob[i]);
            long t4 = System.nanoTime();
            String fault = l == 0 ? null : CheckRows.fault(ring, alpha, q, o, n, l, dIn, dOut);
            long t5 = System.nanoTime();
            stats.split.add(encoding + t2 - t1);
            stats.roundTrip.add(t3 - t2);
            stats.serverA.add(replyA.serverNanos());
            stats.serverB.add(rb.serverNanos());
            stats.check.add(t5 - t4);
            stats.checkRows.add(l);
            encoding = 0;
            if (fault == null) {
                ring.dequantize(o, n, dOut, m.rowScales(), out, outOffset);
                stats.combine.add(t4 - t3 + System.nanoTime() - t5);
                stats.calls.increment();
                stats.rows.add(n);
                return;
            }
            stats.combine.add(t4 - t3);
            stats.faults.increment();
            if (attempt == node.config().maxRetries()) {
                throw new IntegrityException("weights servers A and B answered " + m.id() + " wrongly " + (attempt + 1) + " time"
                        + (attempt == 0 ? "" : "s") + " in a row (" + fault + "); one of them cannot be trusted");
            }
            stats.retries.increment();
            node.fault("weights servers A and B answered " + m.id() + " wrongly (" + fault
                    + "; either may have lied); retrying with fresh shares ("
                    + (attempt + 1) + " of " + node.config().maxRetries() + ")");
        }
    }

    private long[] output(SharesNode.Matrix m, Rows output, int rows, int dOut, String server) {
        if (!(output instanceof Rows.RingElements r) || r.ring() != ring || r.rows() != rows || r.cols() != dOut) {
            throw new ProtocolException(ErrorCode.BAD_SHAPE, "weights server " + server + "'s reply for " + m.id() + " is wrong: expected "
                    + rows
                    + "x" + dOut + " values over " + ring);
        }
        return r.data();
    }
}
