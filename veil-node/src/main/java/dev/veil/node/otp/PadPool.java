package dev.veil.node.otp;

import dev.veil.engine.ring.Ring;
import dev.veil.engine.ring.RingMatrix;
import dev.veil.node.MaskRandom;
import dev.veil.protocol.MatrixId;
import java.util.ArrayDeque;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One weight matrix's one-time pads, made ahead of need: rows of a mask M uniform over the ring and their
 * restoration terms M·Wᵀ. The producer fills the pool a batch at a time (one pass over W serves a whole batch);
 * a call takes one row per input row, and every row is used once. When the pool runs dry the call makes the
 * missing rows itself, on the spot, and the event is counted.
 */
final class PadPool implements PadProducer.Job {
    /** Pad rows for one call: k rows of M (k × d_in) and of M·Wᵀ (k × d_out). */
    record Pads(long[] mask, long[] restoration) {}

    private record Row(long[] mask, long[] restoration) {}

    final MatrixId id;
    private final Ring ring;
    private final RingMatrix w;
    private final int dIn, dOut, capacity, batch;
    private final ArrayDeque<Row> rows = new ArrayDeque<>();
    private final AtomicBoolean scheduled = new AtomicBoolean();
    private final PadProducer producer;
    private final OtpStats stats;

    PadPool(MatrixId id, Ring ring, RingMatrix w, int capacity, int batch, PadProducer producer, OtpStats stats) {
        this.id = id;
        this.ring = ring;
        this.w = w;
        this.dIn = w.cols();
        this.dOut = w.rows();
        this.capacity = capacity;
        this.batch = batch;
        this.producer = producer;
        this.stats = stats;
        schedule();
    }

    /** Takes k fresh pad rows: from the pool while it has any, the rest made now. */
    Pads take(int k, MaskRandom random) {
        long[] mask = new long[k * dIn], restoration = new long[k * dOut];
        int got = 0;
        synchronized (rows) {
            for (; got < k && !rows.isEmpty(); got++) {
                Row r = rows.poll();
                System.arraycopy(r.mask, 0, mask, got * dIn, dIn);
                System.arraycopy(r.restoration, 0, restoration, got * dOut, dOut);
            }
        }
        schedule();
        if (got < k) {
            long t0 = System.nanoTime();
            int missing = k - got;
            long[] m = random.ring(ring, missing * dIn), r = new long[missing * dOut];
            w.multiply(ring, m, missing, r); // on the kernel pool: the call is waiting for it
            System.arraycopy(m, 0, mask, got * dIn, m.length);
            System.arraycopy(r, 0, restoration, got * dOut, r.length);
            stats.dryRows.add(missing);
            stats.dryNanos.add(System.nanoTime() - t0);
        }
        return new Pads(mask, restoration);
    }

    /** The producer's step: one batch of pads, made with a single pass over W on the producer's thread. */
    @Override
    public boolean step(MaskRandom random) {
        int n = Math.min(batch, capacity - size());
        if (n > 0) {
            long[] m = random.ring(ring, n * dIn), r = new long[n * dOut];
            w.multiplyBatch(ring, m, n, r);
            synchronized (rows) {
                for (int i = 0; i < n; i++) {
                    rows.add(new Row(java.util.Arrays.copyOfRange(m, i * dIn, (i + 1) * dIn),
                            java.util.Arrays.copyOfRange(r, i * dOut, (i + 1) * dOut)));
                }
            }
            stats.producedRows.add(n);
        }
        if (needsRefill()) return true;
        scheduled.set(false);
        schedule(); // a call may have taken rows between the check and the reset
        return false;
    }

    @Override
    public java.util.concurrent.atomic.LongAdder cpu() {
        return stats.padCpu;
    }

    /** Queues this pool with the producer when it has room for a batch and is not queued yet. */
    private void schedule() {
        if (needsRefill() && producer.running() && scheduled.compareAndSet(false, true)) producer.submit(this);
    }

    private boolean needsRefill() {
        return size() <= capacity - batch;
    }

    int size() {
        synchronized (rows) {
            return rows.size();
        }
    }

    /** Whether the producer has nothing to do here: the pool is within a batch of full and no refill is queued. */
    boolean toppedUp() {
        return !scheduled.get() && !needsRefill();
    }

    /** Bytes of pads held now (rows are kept as longs in either ring). */
    long bytesHeld() {
        return 8L * size() * (dIn + dOut);
    }

    /** Bytes of a full pool. */
    long capacityBytes() {
        return 8L * capacity * (dIn + dOut);
    }
}
