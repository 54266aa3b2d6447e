package dev.veil.node.otp;

import dev.veil.engine.ring.Ring;
import dev.veil.engine.ring.RingKernels;
import dev.veil.engine.ring.RingMatrix;
import dev.veil.node.MaskRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Freivalds' test of one weight matrix's products, over the ring: for secret vectors r_i uniform over
 * Z_2^k^{d_out}, kept with u_i = Wᵀ·r_i, a reply Ô to Ê passes when Ô·r_i = Ê·u_i for every row and every i, and
 * every restored output lies within what its input allows (|O| ≤ ‖q‖₁·w_max). The check costs
 * rounds·(d_in + d_out) per row against the product's d_in·d_out.
 *
 * <p>Over Z_2^k one round is weak against errors in the high bits: an error of 2-adic valuation t passes with
 * probability 2^-(k-t), up to 1/2. The range check catches every error above twice the output bound B with
 * certainty, so each round gains k - bits(B) bits; the rounds are fixed per matrix from the worst-case B (no
 * data-dependent work) to reach 2^-λ. See docs/otp.md. The vectors are redrawn after a fault and, in the
 * background, every {@code rotateAfter} checks.
 */
final class FreivaldsCheck implements PadProducer.Job {
    /** r: rounds × d_out; u = r·W: rounds × d_in. */
    private record Secret(long[] r, long[] u) {}

    private final Ring ring;
    private final RingMatrix w;
    private final int dIn, dOut, rounds, rotateAfter;
    private final boolean rangeChecked;
    private final PadProducer producer;
    private final OtpStats stats;
    private final AtomicLong checks = new AtomicLong();
    private final AtomicBoolean rotationQueued;
    private volatile Secret secret;

    FreivaldsCheck(Ring ring, RingMatrix w, int lambda, int rotateAfter, PadProducer producer, OtpStats stats) {
        this.ring = ring;
        this.w = w;
        this.dIn = w.cols();
        this.dOut = w.rows();
        long worst = worstBound(ring, dIn);
        this.rangeChecked = rangeCheckable(ring, worst);
        this.rounds = rounds(ring, worst, lambda);
        this.rotateAfter = rotateAfter;
        this.producer = producer;
        this.stats = stats;
        this.rotationQueued = new AtomicBoolean(producer.running());
        producer.submit(this); // the first vectors, in the background (with no producer threads, at the first check)
    }

    /** The largest |O| any input can give: d_in · the largest encoded activation · the largest weight. */
    static long worstBound(Ring ring, int dIn) {
        return outputBound(ring, (long) dIn * ring.maxActivation());
    }

    /** The bound on |O| for an input row of L1 norm l1: l1 · w_max, Long.MAX_VALUE if that overflows. */
    static long outputBound(Ring ring, long l1) {
        try {
            return Math.multiplyExact(l1, (long) ring.maxWeight());
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
    }

    /**
     * Whether a range check with bound B is sound and useful: below 2^(k-2) a true output never wraps, and an
     * error of magnitude above 2B always takes the restored value outside [-B, B].
     */
    static boolean rangeCheckable(Ring ring, long bound) {
        return bound < (1L << (ring.bits - 2));
    }

    /**
     * Rounds for a miss probability of at most 2^-λ on a wrong row. With the range check in place, the errors it
     * lets through are at most 2B, so their valuation t ≤ bits(B) and a round misses them with probability at
     * most 2^-(k - bits(B)); without it, only 2^-1 is certain.
     */
    static int rounds(Ring ring, long bound, int lambda) {
        int s = rangeCheckable(ring, bound) ? ring.bits - (64 - Long.numberOfLeadingZeros(bound)) : 1;
        return (lambda + s - 1) / s;
    }

    int rounds() {
        return rounds;
    }

    /** Whether the vectors are drawn and no redraw is queued. */
    boolean ready() {
        return secret != null && !rotationQueued.get();
    }

    /**
     * Why the reply ô (n × d_out) to ê (n × d_in), restored to {@code restored} from input rows q, is wrong; null
     * when it passes.
     */
    String fault(long[] q, long[] e, long[] o, long[] restored, int n, MaskRandom random) {
        if (rangeChecked) {
            for (int r = 0; r < n; r++) {
                long l1 = 0;
                for (int i = r * dIn; i < (r + 1) * dIn; i++) l1 += Math.abs(q[i]);
                long b = outputBound(ring, l1);
                for (int j = r * dOut; j < (r + 1) * dOut; j++) {
                    if (restored[j] > b || restored[j] < -b) return "output " + (j - r * dOut) + " of row " + r + " out of range";
                }
            }
        }
        Secret s = secret(random);
        boolean agree = true;
        for (int r = 0; r < n; r++) { // on the calling thread: rounds·(d_in + d_out) per row is too little to fork for
            for (int i = 0; i < rounds; i++) {
                long left = RingKernels.dot(s.r, i * dOut, o, r * dOut, dOut), right = RingKernels.dot(s.u, i * dIn, e, r * dIn, dIn);
                agree &= ring.wrap(left) == ring.wrap(right); // every row and round, so the time does not tell where it failed
            }
        }
        if (checks.incrementAndGet() % rotateAfter == 0) rotateLater();
        return agree ? null : "Freivalds check failed";
    }

    /** Draws new vectors now (after a fault: the server has learnt that its error was seen). */
    void rotate(MaskRandom random) {
        secret = draw(random);
        stats.rotations.increment();
    }

    /**
     * Queues a redraw in the background, as after every {@code rotateAfter} checks. With no producer threads the
     * vectors are dropped instead, and the next check draws new ones on its own thread, as a producer would.
     */
    void rotateLater() {
        if (!producer.running()) {
            secret = null;
        } else if (rotationQueued.compareAndSet(false, true)) {
            producer.submit(this);
        }
    }

    /** Background draw: the first vectors, then periodic rotations. */
    @Override
    public boolean step(MaskRandom random) {
        secret = draw(random);
        stats.rotations.increment();
        rotationQueued.set(false);
        return false;
    }

    @Override
    public java.util.concurrent.atomic.LongAdder cpu() {
        return stats.rotationCpu;
    }

    private Secret secret(MaskRandom random) {
        Secret s = secret;
        if (s != null) return s;
        synchronized (this) {
            if (secret == null) { // not drawn in the background yet, or dropped for a redraw with no producer threads
                secret = draw(random);
                stats.rotations.increment();
            }
            return secret;
        }
    }

    private Secret draw(MaskRandom random) {
        long[] r = random.ring(ring, rounds * dOut), u = new long[rounds * dIn];
        w.multiplyTransposed(ring, r, rounds, u);
        return new Secret(r, u);
    }

    /** Bytes of the secret vectors held. */
    long byteSize() {
        return 8L * rounds * (dIn + dOut);
    }
}
