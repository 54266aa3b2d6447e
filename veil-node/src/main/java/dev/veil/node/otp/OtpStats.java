package dev.veil.node.otp;

import java.util.concurrent.atomic.LongAdder;

/**
 * Where a one-time-pad node's work goes. Online, per call: masking (encoding, taking pads, adding them),
 * the round trip, restoring (subtracting, range check, decoding), Freivalds' checks, and pads computed on the
 * spot because a pool ran dry. In the background: the producers' CPU time and the pad rows they made.
 */
public final class OtpStats {
    final LongAdder calls = new LongAdder(), rows = new LongAdder(), mask = new LongAdder(), roundTrip = new LongAdder(),
            server = new LongAdder(), restore = new LongAdder(), check = new LongAdder(), checks = new LongAdder(),
            faults = new LongAdder(), retries = new LongAdder(), dryRows = new LongAdder(), dryNanos = new LongAdder(),
            producedRows = new LongAdder(), padCpu = new LongAdder(), rotationCpu = new LongAdder(), rotations = new LongAdder();

    public long calls() { return calls.sum(); }

    public long rows() { return rows.sum(); }

    public long maskNanos() { return mask.sum(); }

    public long roundTripNanos() { return roundTrip.sum(); }

    /** The server's compute time for the batches the calls ran in, as it reports it. */
    public long serverNanos() { return server.sum(); }

    public long restoreNanos() { return restore.sum(); }

    /** Time in Freivalds' checks, including secret vectors drawn on the spot. */
    public long checkNanos() { return check.sum(); }

    /** Calls whose reply was checked with Freivalds' test. */
    public long checks() { return checks.sum(); }

    /** Replies that failed a check (range or Freivalds). */
    public long faults() { return faults.sum(); }

    public long retries() { return retries.sum(); }

    /** Pad rows computed on the spot because the pool was empty (their time is part of {@link #maskNanos()}). */
    public long dryRows() { return dryRows.sum(); }

    public long dryNanos() { return dryNanos.sum(); }

    /** Pad rows the background producers made (all matrices together). */
    public long producedRows() { return producedRows.sum(); }

    /** CPU time of the background producers: pads and secret rotations. */
    public long producerCpuNanos() { return padCpu.sum() + rotationCpu.sum(); }

    /** The producers' CPU time for pads. */
    public long padCpuNanos() { return padCpu.sum(); }

    /** The producers' CPU time for drawing Freivalds vectors (r and Wᵀ·r). */
    public long rotationCpuNanos() { return rotationCpu.sum(); }

    /** Secret vector sets redrawn (periodically or after a fault). */
    public long rotations() { return rotations.sum(); }

    /** Round trip minus server compute: framing, copying, the network, queueing. */
    public long transportNanos() { return Math.max(0, roundTrip.sum() - server.sum()); }

    public void reset() {
        for (LongAdder a : new LongAdder[] {calls, rows, mask, roundTrip, server, restore, check, checks, faults, retries, dryRows, dryNanos,
                producedRows, padCpu, rotationCpu, rotations}) {
            a.reset();
        }
    }
}
