package dev.veil.attack.remo;

import dev.veil.attack.Exchange;
import dev.veil.attack.Observation;
import dev.veil.attack.Site;
import dev.veil.engine.inference.LinearOps;
import dev.veil.engine.inference.LocalLinearOps;
import dev.veil.engine.inference.Projection;
import dev.veil.engine.model.LinearWeights;
import dev.veil.engine.model.LlamaConfig;
import dev.veil.engine.ring.Numeric;
import dev.veil.engine.ring.RingLinearOps;
import dev.veil.node.MaskRandom;
import dev.veil.node.remo.MaskSize;
import dev.veil.node.remo.MaskedCall;
import dev.veil.node.remo.PublicBase;
import dev.veil.protocol.MatrixId;
import dev.veil.protocol.Rows;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * ReMO run in this process by the attacker with the trusted node's own mask code ({@link MaskSize}'s m(d_in),
 * {@link PublicBase}'s draws, masking and restoring), so it makes (masked input, token) pairs exactly as the
 * victim's node would: its own private masks Mpvt (fresh per call) on the deployment's public bases Mpub.
 * Ê = E + Mpvt·Mpub goes to the server (the weights, computed here), O = Ô − Mpvt·Rpub comes back; the server's
 * view goes to {@code recorder}. The only difference from the node is the randomness: a seeded generator
 * (reproducible experiments) where the node has a DRBG, which changes nothing an attack can use.
 */
public final class SimulatedRemo implements LinearOps {
    private final LlamaConfig c;
    private final LocalLinearOps floatServer;
    private final RingLinearOps ringServer;
    private final Observation.Recorder recorder;
    private final MaskRandom random;
    private final Map<Observation.Key, PublicBase> bases = new HashMap<>();

    /**
     * @param size        rank of the public bases (the node's rule)
     * @param publicBases the deployment's bases (the attacker copies the victim's), or null to draw new ones
     * @param maskScale   float mode: standard deviation σ of a mask entry
     */
    public SimulatedRemo(LlamaConfig config, LinearWeights weights, Numeric numeric, Observation.Recorder recorder,
                         MaskSize size, Map<Observation.Key, Rows> publicBases, double maskScale, long seed) {
        if (!(maskScale > 0)) throw new IllegalArgumentException("mask scale must be positive");
        this.c = config;
        this.floatServer = new LocalLinearOps(config, weights);
        this.ringServer = numeric.exact() ? new RingLinearOps(config, weights, numeric.ring) : null;
        this.recorder = recorder;
        this.random = MaskRandom.simulation(new SplittableRandom(seed));
        for (Projection p : Projection.values()) {
            for (int l = 0; l < (p.perLayer() ? c.layers() : 1); l++) {
                var key = new Observation.Key(Site.of(p), l);
                int dIn = p.inDim(c);
                Rows base = publicBases != null ? publicBases.get(key) : PublicBase.draw(numeric, size.forInputs(dIn), dIn, random);
                if (base == null || base.cols() != dIn || (base instanceof Rows.RingElements) != numeric.exact()) {
                    throw new IllegalArgumentException("no usable public base for " + p + " layer " + l);
                }
                // Setup: the server computes Rpub = Mpub·Wᵀ once per matrix; the node keeps it.
                Rows restoration = server(p, l, base);
                float[] rowScales = numeric.exact() ? ringServer.matrix(p, l).rowScales() : new float[0];
                bases.put(key, PublicBase.of(new MatrixId(p, l), base, restoration, p.outDim(c), rowScales, maskScale));
                recorder.publicBase(key.site(), l, base, restoration, rowScales);
            }
        }
    }

    @Override
    public void apply(Projection p, int layer, float[] x, int n, float[] out) {
        var key = new Observation.Key(Site.of(p), p.perLayer() ? layer : 0);
        MaskedCall call = bases.get(key).mask(x, 0, n, random);
        Rows returned = server(p, layer, call.masked());
        call.restore(returned, out, 0);
        recorder.exchange(new Exchange(key.site(), key.layer(), call.masked(), returned));
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
}
