package dev.veil.node.remo;

import java.util.concurrent.atomic.LongAdder;

/**
 * Where a trusted node's outsourced calls spend their time: drawing masks and masking, restoring, the round
 * trip (transport plus the server), and the server's own compute as it reports it.
 */
public final class RemoStats {
    final LongAdder calls = new LongAdder(), rows = new LongAdder(), mask = new LongAdder(), restore = new LongAdder(),
            roundTrip = new LongAdder(), server = new LongAdder();

    public long calls() { return calls.sum(); }

    public long rows() { return rows.sum(); }

    public long maskNanos() { return mask.sum(); }

    public long restoreNanos() { return restore.sum(); }

    public long roundTripNanos() { return roundTrip.sum(); }

    /** The server's compute time for the batches the calls ran in. */
    public long serverNanos() { return server.sum(); }

    /** Round trip minus server compute: framing, copying, the network, queueing. */
    public long transportNanos() { return Math.max(0, roundTrip.sum() - server.sum()); }

    public void reset() {
        for (LongAdder a : new LongAdder[] {calls, rows, mask, restore, roundTrip, server}) a.reset();
    }
}
