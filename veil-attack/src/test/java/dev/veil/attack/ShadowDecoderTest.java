package dev.veil.attack;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.veil.engine.inference.Forward;
import dev.veil.engine.inference.KVCache;
import dev.veil.engine.inference.LocalLinearOps;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The attacker's decoder reproduces bit for bit what the engine sent the server, and its gradients are right. */
class ShadowDecoderTest {
    final ShadowDecoder shadow = new ShadowDecoder(Stories.MODEL);

    /** Token by token (one row per call, the decode kernel on both sides) the shadow equals the engine exactly. */
    @Test
    void reproducesEveryLinearInputOfThePlainEngineBitForBit() {
        int[] tokens = Stories.prompt("Lily saw a big red ball in the park.");
        var rec = new Observation.Recorder();
        var ops = new ObservingLinearOps(Stories.MODEL.config(), new LocalLinearOps(Stories.MODEL.config(), Stories.MODEL.linear()), rec);
        var forward = new Forward(Stories.MODEL.config(), Stories.MODEL.node(), ops);
        var cache = new KVCache(Stories.MODEL.config(), tokens.length);
        for (int t : tokens) forward.forward(new int[] {t}, cache, false);
        compare(rec.take(), tokens, true, 0f);
    }

    /** A batched prefill runs the tiled kernel, whose sums round differently from one row's dot product. */
    @Test
    void reproducesEveryLinearInputOfABatchedPrefill() {
        int[] tokens = Stories.prompt("Lily saw a big red ball in the park.");
        compare(Stories.plain(tokens, 1, null), tokens, false, 1e-4f);  // LM_HEAD saw only the last row
    }

    private void compare(Observation o, int[] tokens, boolean everyHead, float tolerance) {
        var sites = new java.util.ArrayList<>(java.util.List.of(Site.QKV, Site.ATTN_OUT, Site.GATE_UP, Site.FFN_DOWN));
        if (everyHead) sites.add(Site.LM_HEAD);
        for (Site site : sites) {
            for (int layer = 0; layer < (site == Site.LM_HEAD ? 1 : shadow.config().layers()); layer++) {
                float[] seen = o.received(site, layer);
                int width = shadow.inDim(site);
                ShadowDecoder.Prefix prefix = shadow.prefix();
                for (int i = 0; i < tokens.length; i++) {
                    float[] mine = shadow.run(prefix, shadow.embed(new int[] {tokens[i]}), 1, site, layer).target();
                    float[] theirs = Arrays.copyOfRange(seen, i * width, (i + 1) * width);
                    for (int k = 0; k < width; k++) {
                        assertEquals(theirs[k], mine[k], tolerance * (1 + Math.abs(theirs[k])), site + " layer " + layer + " pos " + i);
                    }
                    prefix.append(tokens[i]);
                }
            }
        }
    }

    @Test
    void gradientsMatchFiniteDifferences() {
        ShadowDecoder.Prefix prefix = shadow.prefix();
        for (int t : Stories.prompt("Once upon a time")) prefix.append(t);
        var random = new SplittableRandom(7);
        int dim = shadow.config().dim();
        for (Site site : new Site[] {Site.QKV, Site.ATTN_OUT, Site.GATE_UP, Site.FFN_DOWN, Site.LM_HEAD, Site.DECODER_STACK}) {
            int layer = site == Site.QKV ? 2 : 1;
            float[] h = shadow.embed(new int[] {42});
            var pass = shadow.run(prefix, h, 1, site, layer);
            float[] dir = new float[pass.target().length];
            for (int i = 0; i < dir.length; i++) dir[i] = (float) random.nextGaussian();
            float[] grad = shadow.backward(pass, dir);
            for (int k = 0; k < 6; k++) {
                int i = random.nextInt(dim);
                double eps = 1e-2;
                float[] hp = h.clone(), hm = h.clone();
                hp[i] += (float) eps;
                hm[i] -= (float) eps;
                double fd = (dot(dir, shadow.run(prefix, hp, 1, site, layer).target())
                        - dot(dir, shadow.run(prefix, hm, 1, site, layer).target())) / (2 * eps);
                assertEquals(fd, grad[i], 2e-2 * (1 + Math.abs(fd)), site + " dim " + i);
            }
        }
    }

    private static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += (double) a[i] * b[i];
        return s;
    }
}
