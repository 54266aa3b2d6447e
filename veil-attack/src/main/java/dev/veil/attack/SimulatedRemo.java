package dev.veil.attack;

import dev.veil.engine.inference.LinearOps;
import dev.veil.engine.inference.Projection;
import dev.veil.engine.model.LlamaConfig;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * ReMO as the paper defines it, in float, run by the attacker: its own private masks Mpvt (fresh per call) on
 * the deployment's public bases Mpub, so it can make (masked input, token) training pairs exactly as the
 * victim's node would produce them. Ê = E + Mpvt·Mpub goes to {@code server}; O = Ô − Mpvt·Rpub comes back.
 * Records what the server sees (Ê, Ô and the bases) in {@code recorder}.
 *
 * <p>Mpub has N(0, 1) entries and Mpvt N(0, σ²/m), so the mask Mpvt·Mpub has entries of scale σ.
 */
public final class SimulatedRemo implements LinearOps {
    private final LlamaConfig c;
    private final LinearOps server;
    private final Observation.Recorder recorder;
    private final float maskScale;
    private final SplittableRandom random;
    private final Map<Observation.Key, float[]> restoration = new HashMap<>();
    private final Map<Observation.Key, PublicBase> bases = new HashMap<>();

    /**
     * @param publicBases the deployment's bases to reuse (the attacker copies the victim's), or null to draw new
     *                    ones with m = round(mFraction · d_in) per matrix
     */
    public SimulatedRemo(LlamaConfig config, LinearOps server, Observation.Recorder recorder, double mFraction,
                         Map<Observation.Key, PublicBase> publicBases, float maskScale, long seed) {
        if (!(maskScale > 0)) throw new IllegalArgumentException("mask scale must be positive");
        this.c = config;
        this.server = server;
        this.recorder = recorder;
        this.maskScale = maskScale;
        this.random = new SplittableRandom(seed);
        for (Projection p : Projection.values()) {
            for (int l = 0; l < (p.perLayer() ? c.layers() : 1); l++) {
                var key = new Observation.Key(Site.of(p), l);
                PublicBase base = publicBases != null ? publicBases.get(key) : drawBase(p.inDim(c), mFraction);
                if (base == null || base.dIn() != p.inDim(c)) throw new IllegalArgumentException("no usable public base for " + key);
                // Setup: the server computes Rpub = Mpub·W once per matrix; the node keeps it.
                float[] rpub = new float[base.m() * p.outDim(c)];
                server.apply(p, l, base.values(), base.m(), rpub);
                bases.put(key, base);
                restoration.put(key, rpub);
                recorder.publicBase(key.site(), l, base);
            }
        }
    }

    /** m for a matrix with d_in inputs at fraction f of d_in: at least 1, at most d_in − 1 (m < d_in). */
    public static int mFor(int dIn, double fraction) {
        if (!(fraction > 0 && fraction < 1)) throw new IllegalArgumentException("m/d must be in (0, 1), got " + fraction);
        return Math.clamp(Math.round(fraction * dIn), 1, dIn - 1);
    }

    public Map<Observation.Key, PublicBase> bases() {
        return Map.copyOf(bases);
    }

    @Override
    public void apply(Projection p, int layer, float[] x, int n, float[] out) {
        var key = new Observation.Key(Site.of(p), p.perLayer() ? layer : 0);
        PublicBase base = bases.get(key);
        int m = base.m(), in = base.dIn(), width = p.outDim(c);
        float[] pvt = new float[n * m];
        float sd = (float) (maskScale / Math.sqrt(m));
        synchronized (random) {
            for (int i = 0; i < pvt.length; i++) pvt[i] = (float) random.nextGaussian() * sd;
        }
        float[] masked = java.util.Arrays.copyOf(x, n * in);
        addProduct(pvt, base.values(), masked, n, m, in, 1f);
        server.apply(p, layer, masked, n, out);
        recorder.exchange(new Exchange(key.site(), key.layer(), n, masked, java.util.Arrays.copyOf(out, n * width)));
        addProduct(pvt, restoration.get(key), out, n, m, width, -1f);
    }

    private PublicBase drawBase(int dIn, double fraction) {
        int m = mFor(dIn, fraction);
        float[] v = new float[m * dIn];
        for (int i = 0; i < v.length; i++) v[i] = (float) random.nextGaussian();
        return new PublicBase(m, dIn, v);
    }

    /** out[n × k] += sign · a[n × m] · b[m × k] (out may be longer than n·k rows; only the first n rows change). */
    static void addProduct(float[] a, float[] b, float[] out, int n, int m, int k, float sign) {
        for (int r = 0; r < n; r++) {
            for (int j = 0; j < m; j++) {
                float s = sign * a[r * m + j];
                if (s == 0f) continue;
                int bo = j * k, oo = r * k;
                for (int i = 0; i < k; i++) out[oo + i] += s * b[bo + i];
            }
        }
    }
}
