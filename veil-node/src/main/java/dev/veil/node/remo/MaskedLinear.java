package dev.veil.node.remo;

import dev.veil.node.MaskRandom;
import dev.veil.engine.inference.LinearOps;
import dev.veil.engine.inference.Projection;
import dev.veil.protocol.MatrixId;
import dev.veil.protocol.Message;
import dev.veil.protocol.transport.Channel;

/**
 * ReMO's outsourced linear layer, as the forward pass sees it: for every weight multiply, draw a fresh private
 * mask Mpvt (n × m), send Ê = E + Mpvt·Mpub, receive Ô = Ê·Wᵀ, and restore O = Ô − Mpvt·Rpub. One per
 * session (it owns the session's DRBG); the pool and the channel are shared. A call that fails over to another
 * replica ({@link Channel#attempt}) is masked afresh.
 */
public final class MaskedLinear implements LinearOps {
    private final RestorationPool pool;
    private final Channel channel;
    private final RemoStats stats;
    private final MaskRandom random = new MaskRandom();

    public MaskedLinear(RestorationPool pool, Channel channel, RemoStats stats) {
        this.pool = pool;
        this.channel = channel;
        this.stats = stats;
    }

    @Override
    public void apply(Projection p, int layer, float[] x, int n, float[] out) {
        PublicBase base = pool.base(new MatrixId(p, p.perLayer() ? layer : 0));
        int chunk = pool.rowsPerCall(base);
        for (int r = 0; r < n; r += chunk) {
            int k = Math.min(chunk, n - r), row = r;
            // On another replica after a failure: masked afresh, never the same Ê again.
            channel.attempt(replica -> call(base, replica, x, row, k, out));
        }
    }

    private Void call(PublicBase base, Channel replica, float[] x, int r, int k, float[] out) {
        long t0 = System.nanoTime();
        MaskedCall call = base.mask(x, r * base.dIn, k, random);
        long t1 = System.nanoTime();
        var reply = replica.call(new Message.Linear(base.id, call.masked()), Message.LinearReply.class);
        long t2 = System.nanoTime();
        call.restore(reply.output(), out, r * base.dOut);
        long t3 = System.nanoTime();
        stats.calls.increment();
        stats.rows.add(k);
        stats.mask.add(t1 - t0);
        stats.roundTrip.add(t2 - t1);
        stats.server.add(reply.serverNanos());
        stats.restore.add(t3 - t2);
        return null;
    }
}
