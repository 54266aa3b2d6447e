package dev.veil.node.shares;

import java.util.concurrent.atomic.LongAdder;

/** A shares node's counters over all sessions. */
public final class SharesStats {
    final LongAdder calls = new LongAdder(), rows = new LongAdder(), checkRows = new LongAdder(), faults = new LongAdder(),
            retries = new LongAdder(), split = new LongAdder(), roundTrip = new LongAdder(), combine = new LongAdder(),
            check = new LongAdder(), serverA = new LongAdder(), serverB = new LongAdder();

    /** Calls that completed (after any retries). */
    public long calls() { return calls.sum(); }

    /** Input rows of completed calls (positions × matrices). */
    public long rows() { return rows.sum(); }

    /** Check rows sent to each server, over all attempts. */
    public long checkRows() { return checkRows.sum(); }

    /** Attempts whose replies failed a check. */
    public long faults() { return faults.sum(); }

    public long retries() { return retries.sum(); }

    /** Nanoseconds encoding, drawing R and the check combinations, subtracting. */
    public long splitNanos() { return split.sum(); }

    /** Nanoseconds from sending both shares to holding both replies. */
    public long roundTripNanos() { return roundTrip.sum(); }

    /** Nanoseconds adding the replies and decoding. */
    public long combineNanos() { return combine.sum(); }

    /** Nanoseconds checking (range and check rows). */
    public long checkNanos() { return check.sum(); }

    /** Compute nanoseconds the servers reported, A and B. */
    public long serverNanosA() { return serverA.sum(); }

    public long serverNanosB() { return serverB.sum(); }
}
