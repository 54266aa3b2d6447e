package dev.veil.attack;

import dev.veil.engine.inference.LinearOps;
import dev.veil.engine.inference.LocalLinearOps;
import dev.veil.engine.inference.Projection;
import dev.veil.engine.model.LinearWeights;
import dev.veil.engine.model.LlamaConfig;
import dev.veil.engine.ring.Numeric;
import dev.veil.engine.ring.Ring;
import dev.veil.engine.ring.RingLinearOps;
import dev.veil.protocol.Rows;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * ReMO as the paper defines it, with the distributions of Veil's trusted node, run in this process by the
 * attacker: its own private masks Mpvt (fresh per call) on the deployment's public bases Mpub, so it makes
 * (masked input, token) pairs exactly as the victim's node would. Ê = E + Mpvt·Mpub goes to the server (the
 * weights, computed here), O = Ô − Mpvt·Rpub comes back; the server's view goes to {@code recorder}.
 *
 * <p>Float mode: Mpub entries uniform with unit variance, Mpvt entries uniform with standard deviation σ/√m, so
 * a mask entry has standard deviation σ (the mask scale). Ring mode: E is the ring's fixed-point encoding and
 * Mpub, Mpvt are uniform over Z_2^k. The generator is seeded (reproducible experiments); the real node uses a
 * DRBG, which changes nothing an attack can use.
 */
public final class SimulatedRemo implements LinearOps {
    private final LlamaConfig c;
    private final Numeric numeric;
    private final LocalLinearOps floatServer;
    private final RingLinearOps ringServer;
    private final Observation.Recorder recorder;
    private final double maskScale;
    private final SplittableRandom random;
    private final Map<Observation.Key, Rows> bases = new HashMap<>(), restoration = new HashMap<>();

    /**
     * @param m           rank of the public bases: a fraction of d_in when below 1, else a count (capped at d_in − 1)
     * @param publicBases the deployment's bases (the attacker copies the victim's), or null to draw new ones
     */
    public SimulatedRemo(LlamaConfig config, LinearWeights weights, Numeric numeric, Observation.Recorder recorder,
                         double m, Map<Observation.Key, Rows> publicBases, double maskScale, long seed) {
        if (!(maskScale > 0)) throw new IllegalArgumentException("mask scale must be positive");
        this.c = config;
        this.numeric = numeric;
        this.floatServer = new LocalLinearOps(config, weights);
        this.ringServer = numeric.exact() ? new RingLinearOps(config, weights, numeric.ring) : null;
        this.recorder = recorder;
        this.maskScale = maskScale;
        this.random = new SplittableRandom(seed);
        for (Projection p : Projection.values()) {
            for (int l = 0; l < (p.perLayer() ? c.layers() : 1); l++) {
                var key = new Observation.Key(Site.of(p), l);
                Rows base = publicBases != null ? publicBases.get(key) : drawBase(mFor(p.inDim(c), m), p.inDim(c));
                if (base == null || base.cols() != p.inDim(c) || (base instanceof Rows.RingElements) != numeric.exact()) {
                    throw new IllegalArgumentException("no usable public base for " + p + " layer " + l);
                }
                // Setup: the server computes Rpub = Mpub·Wᵀ once per matrix; the node keeps it.
                bases.put(key, base);
                restoration.put(key, server(p, l, base));
                recorder.publicBase(key.site(), l, base, restoration.get(key), numeric.exact() ? ringServer.matrix(p, l).rowScales() : new float[0]);
            }
        }
    }

    /**
     * The rank for a matrix with d_in inputs, as the node computes it: {@code m} · d_in rounded when m is a
     * fraction below 1, else m itself; at least 1 and below d_in.
     */
    public static int mFor(int dIn, double m) {
        if (!(m > 0) || Double.isInfinite(m)) throw new IllegalArgumentException("m must be a positive count or a fraction of d_in, got " + m);
        int rows = m < 1 ? (int) Math.round(m * dIn) : (int) Math.min(Integer.MAX_VALUE, Math.round(m));
        return Math.max(1, Math.min(dIn - 1, rows));
    }

    @Override
    public void apply(Projection p, int layer, float[] x, int n, float[] out) {
        var key = new Observation.Key(Site.of(p), p.perLayer() ? layer : 0);
        Rows base = bases.get(key);
        int m = base.rows(), in = base.cols(), width = p.outDim(c);
        Rows masked, returned;
        if (base instanceof Rows.RingElements rb) {
            Ring ring = rb.ring();
            long[] pvt = uniformRing(ring, n * m), e = product(ring, pvt, rb.data(), n, m, in);
            for (int i = 0; i < n * in; i++) e[i] = ring.wrap(e[i] + ring.quantize(x[i]));
            masked = new Rows.RingElements(ring, n, in, e);
            returned = server(p, layer, masked);
            long[] acc = ((Rows.RingElements) returned).data().clone(), corr = product(ring, pvt, ((Rows.RingElements) restoration.get(key)).data(), n, m, width);
            for (int i = 0; i < acc.length; i++) acc[i] = ring.wrap(acc[i] - corr[i]);
            ring.dequantize(acc, n, width, ringServer.matrix(p, layer).rowScales(), out, 0);
        } else {
            float[] pvt = uniform(n * m, maskScale / Math.sqrt(m)), e = product(pvt, ((Rows.Floats) base).data(), n, m, in);
            for (int i = 0; i < n * in; i++) e[i] += x[i];
            masked = new Rows.Floats(n, in, e);
            returned = server(p, layer, masked);
            float[] o = ((Rows.Floats) returned).data(), corr = product(pvt, ((Rows.Floats) restoration.get(key)).data(), n, m, width);
            for (int i = 0; i < n * width; i++) out[i] = o[i] - corr[i];
        }
        recorder.exchange(new Exchange(key.site(), key.layer(), masked, returned));
    }

    /** What the weights server computes: rows · Wᵀ, in float or over the ring. */
    private Rows server(Projection p, int layer, Rows rows) {
        int n = rows.rows(), width = p.outDim(c);
        if (rows instanceof Rows.RingElements r) {
            long[] out = new long[n * width];
            ringServer.multiply(p, layer, r.data(), n, out);
            return new Rows.RingElements(r.ring(), n, width, out);
        }
        float[] out = new float[n * width];
        floatServer.apply(p, layer, ((Rows.Floats) rows).data(), n, out);
        return new Rows.Floats(n, width, out);
    }

    private Rows drawBase(int m, int dIn) {
        if (numeric.exact()) return new Rows.RingElements(numeric.ring, m, dIn, uniformRing(numeric.ring, m * dIn));
        return new Rows.Floats(m, dIn, uniform(m * dIn, 1.0));
    }

    /** Uniform on [−σ√3, σ√3): mean 0, standard deviation σ. */
    private float[] uniform(int count, double sigma) {
        float[] v = new float[count];
        double half = sigma * Math.sqrt(3);
        synchronized (random) {
            for (int i = 0; i < count; i++) v[i] = (float) ((2 * random.nextDouble() - 1) * half);
        }
        return v;
    }

    private long[] uniformRing(Ring ring, int count) {
        long[] v = new long[count];
        synchronized (random) {
            for (int i = 0; i < count; i++) v[i] = ring.element(random.nextLong());
        }
        return v;
    }

    /** a (n × m) · b (m × k) */
    private static float[] product(float[] a, float[] b, int n, int m, int k) {
        float[] out = new float[n * k];
        for (int r = 0; r < n; r++) {
            for (int j = 0; j < m; j++) {
                float s = a[r * m + j];
                for (int i = 0; i < k; i++) out[r * k + i] += s * b[j * k + i];
            }
        }
        return out;
    }

    /** a (n × m) · b (m × k) over the ring */
    private static long[] product(Ring ring, long[] a, long[] b, int n, int m, int k) {
        long[] out = new long[n * k];
        for (int r = 0; r < n; r++) {
            for (int j = 0; j < m; j++) {
                long s = a[r * m + j];
                for (int i = 0; i < k; i++) out[r * k + i] += s * b[j * k + i];
            }
        }
        for (int i = 0; i < out.length; i++) out[i] = ring.wrap(out[i]);
        return out;
    }
}
