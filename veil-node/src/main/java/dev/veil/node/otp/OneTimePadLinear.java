package dev.veil.node.otp;

import dev.veil.engine.inference.LinearOps;
import dev.veil.engine.inference.Projection;
import dev.veil.engine.ring.Ring;
import dev.veil.node.IntegrityException;
import dev.veil.node.MaskRandom;
import dev.veil.protocol.ErrorCode;
import dev.veil.protocol.Message;
import dev.veil.protocol.ProtocolException;
import dev.veil.protocol.Rows;
import dev.veil.protocol.transport.Channel;

/**
 * The outsourced linear layer under one-time pads, as the forward pass sees it. For each call on E (n rows):
 * encode E over the ring as q, take n fresh pad rows (M, M·Wᵀ), send Ê = q + M, receive Ô, restore
 * O = Ô − M·Wᵀ (= q·Wᵀ exactly) and decode it as the plain engine's exact mode does. A secretly chosen share
 * of calls (all by default) is checked ({@link FreivaldsCheck}); a reply that fails is reported and the call
 * retried, checked, with fresh pads; past the retries the replica is given up ({@link Channel#attempt}: the call
 * runs again, padded afresh and checked, on another replica if there is one). One per session (it owns the
 * session's DRBG).
 */
public final class OneTimePadLinear implements LinearOps {
    private final OtpNode node;
    private final OtpConfig config;
    private final Ring ring;
    private final OtpStats stats;
    private final Channel channel;
    private final MaskRandom random = new MaskRandom();

    OneTimePadLinear(OtpNode node, Channel channel) {
        this.node = node;
        this.channel = channel;
        this.config = node.config();
        this.ring = config.numeric().ring;
        this.stats = node.stats();
    }

    @Override
    public void apply(Projection p, int layer, float[] x, int n, float[] out) {
        var m = node.matrix(p, layer);
        int chunk = node.rowsPerCall(m), dIn = m.w().cols(), dOut = m.w().rows();
        for (int r = 0; r < n; r += chunk) call(m, x, r * dIn, Math.min(chunk, n - r), out, r * dOut);
    }

    private void call(OtpNode.Matrix m, float[] x, int xOffset, int n, float[] out, int outOffset) {
        node.requireTrusted();
        int dIn = m.w().cols(), dOut = m.w().rows();
        long t0 = System.nanoTime();
        long[] q = new long[n * dIn];
        for (int i = 0; i < q.length; i++) q[i] = ring.quantize(x[xOffset + i]);
        boolean checked = config.checkRate() >= 1 || (config.checkRate() > 0 && uniform() < config.checkRate());
        long masking = System.nanoTime() - t0;
        int[] replicas = {0};
        try {
            // On another replica after a failure: fresh pads (the failed call's are spent), and the reply checked.
            channel.attempt(replica -> call(m, replica, q, n, checked || replicas[0]++ > 0, masking, out, outOffset));
        } catch (IntegrityException e) {
            node.markBad(e); // no replica left to fail over to
            throw e;
        }
    }

    private Void call(OtpNode.Matrix m, Channel channel, long[] q, int n, boolean checked, long masking, float[] out, int outOffset) {
        int dIn = m.w().cols(), dOut = m.w().rows();
        for (int attempt = 0; ; attempt++) {
            long t1 = System.nanoTime();
            var pads = m.pads().take(n, random);
            long[] e = new long[q.length];
            for (int i = 0; i < e.length; i++) e[i] = ring.wrap(q[i] + pads.mask()[i]);
            long t2 = System.nanoTime();
            var reply = channel.call(new Message.Linear(m.id(), new Rows.RingElements(ring, n, dIn, e)), Message.LinearReply.class);
            long t3 = System.nanoTime();
            long[] o = output(m, reply.output(), n, dOut);
            long[] restored = new long[o.length];
            for (int i = 0; i < o.length; i++) restored[i] = ring.wrap(o[i] - pads.restoration()[i]);
            long t4 = System.nanoTime();
            // Unchecked calls get no range check either: alone, its verdict would tell the server about O.
            String fault = null;
            if (checked || attempt > 0) {
                stats.checks.increment();
                fault = m.check().fault(q, e, o, restored, n, random);
            }
            long t5 = System.nanoTime();
            stats.mask.add(masking + t2 - t1);
            stats.roundTrip.add(t3 - t2);
            stats.server.add(reply.serverNanos());
            stats.check.add(t5 - t4);
            if (fault == null) {
                ring.dequantize(restored, n, dOut, m.rowScales(), out, outOffset);
                stats.restore.add(t4 - t3 + System.nanoTime() - t5);
                stats.calls.increment();
                stats.rows.add(n);
                return null;
            }
            stats.restore.add(t4 - t3);
            stats.faults.increment();
            m.check().rotate(random); // the server has seen that its error was caught
            masking = 0;
            if (attempt == config.maxRetries()) {
                throw new IntegrityException(channel.peer() + " answered " + m.id() + " wrongly " + (attempt + 1) + " time"
                        + (attempt == 0 ? "" : "s") + " in a row (" + fault + "); its results cannot be trusted");
            }
            stats.retries.increment();
            node.fault(channel.peer() + " answered " + m.id() + " wrongly (" + fault + "); retrying with fresh pads (" + (attempt + 1) + " of "
                    + config.maxRetries() + ")");
        }
    }

    private long[] output(OtpNode.Matrix m, Rows output, int n, int dOut) {
        if (!(output instanceof Rows.RingElements r) || r.ring() != ring || r.rows() != n || r.cols() != dOut) {
            throw new ProtocolException(ErrorCode.BAD_SHAPE, "weights server's reply for " + m.id() + " is wrong: expected " + n + "x" + dOut
                    + " values over " + ring);
        }
        return r.data();
    }

    /** A secret uniform draw in [0, 1) from the session's DRBG: whether to check a call stays hidden. */
    private double uniform() {
        return (random.ring(Ring.Z64, 1)[0] >>> 11) * 0x1.0p-53;
    }
}
