package dev.veil.node.remo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.veil.engine.Shared;
import dev.veil.engine.inference.Forward;
import dev.veil.engine.inference.KVCache;
import dev.veil.engine.inference.LinearOps;
import dev.veil.engine.inference.Sampler;
import dev.veil.engine.model.Llama2cLoader;
import dev.veil.engine.model.Model;
import dev.veil.engine.ring.Numeric;
import dev.veil.engine.ring.Ring;
import dev.veil.protocol.MatrixId;
import dev.veil.protocol.Message;
import dev.veil.protocol.ModelDims;
import dev.veil.protocol.Rows;
import dev.veil.protocol.transcript.Transcript;
import dev.veil.protocol.transcript.TranscriptReader;
import dev.veil.protocol.transcript.TranscriptWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * For a known prompt, the weights server's transcript holds no plaintext activation: every row it received is
 * as far from the true activation as the mask makes it. It holds nothing but public bases and masked rows.
 */
class TranscriptPrivacyTest {
    record Activation(MatrixId id, float[] rows, int n) {}

    /** Runs a prompt and 4 greedy steps, recording every input the forward pass hands to {@code inner}. */
    static List<Activation> run(Model model, LinearOps inner) {
        List<Activation> seen = new ArrayList<>();
        LinearOps recording = (p, layer, x, n, out) -> {
            seen.add(new Activation(new MatrixId(p, p.perLayer() ? layer : 0), Arrays.copyOf(x, n * p.inDim(model.config())), n));
            inner.apply(p, layer, x, n, out);
        };
        var f = new Forward(model.config(), model.node(), recording);
        var cache = new KVCache(model.config(), 32);
        float[] logits = f.forward(new int[] {1, 403, 407, 261, 378}, cache, false);
        for (int i = 0; i < 4; i++) logits = f.forward(new int[] {Sampler.greedy().sample(logits)}, cache, false);
        return seen;
    }

    @Test
    void noReceivedRowIsCloserToTheTruthThanTheMaskAllows(@TempDir Path dir) throws Exception {
        Model model = Llama2cLoader.load(Shared.storiesBin(), Shared.storiesTokenizer());
        var shape = ModelDims.of(model.config());
        for (Numeric numeric : new Numeric[] {Numeric.FLOAT, Numeric.Z64}) {
            double sigma = 2.0;
            Path file = dir.resolve(numeric + ".veiltr");
            List<Activation> truth;
            try (var writer = new TranscriptWriter(file, "test-model", shape);
                 var split = new SplitRuntime(model, new RemoConfig(MaskSize.fraction(0.25), numeric, sigma), writer)) {
                truth = run(model, split.node.linear());
                split.close();
            }
            Transcript t = TranscriptReader.readAll(file);
            for (var e : t.entries()) {
                assertTrue(e.request() instanceof Message.Setup || e.request() instanceof Message.Linear, "only bases and masked rows: " + e.request());
            }
            assertEquals(RestorationPool.matrices(shape).size(), t.publicBases().size());
            t.publicBases().forEach((id, base) -> assertEquals(MaskSize.fraction(0.25).forInputs(shape.inDim(id.projection())), base.rows()));

            var calls = t.linearCalls();
            assertEquals(truth.size(), calls.size());
            int rowsChecked = 0;
            for (int c = 0; c < calls.size(); c++) {
                Activation a = truth.get(c);
                assertEquals(a.id(), calls.get(c).matrix());
                Rows got = calls.get(c).input();
                int d = got.cols();
                assertEquals(a.n(), got.rows());
                for (int r = 0; r < a.n(); r++, rowsChecked++) {
                    if (got instanceof Rows.Floats f) {
                        double dist = 0;
                        for (int i = 0; i < d; i++) dist += Math.pow(f.data()[r * d + i] - a.rows()[r * d + i], 2);
                        // the mask is a sum of m >= 16 independent directions with entry scale sigma:
                        // its norm falls below 0.3·sigma·sqrt(d) with probability < 1e-9
                        assertTrue(Math.sqrt(dist) > 0.3 * sigma * Math.sqrt(d), a.id() + " row " + r + " is only " + Math.sqrt(dist) + " away");
                    } else {
                        var ring = ((Rows.RingElements) got).ring();
                        long[] v = ((Rows.RingElements) got).data();
                        for (int i = 0; i < d; i++) {
                            long delta = ring.wrap(v[r * d + i] - ring.quantize(a.rows()[r * d + i]));
                            // uniform over Z_2^64: within 2^32 of the encoding with probability 2^-31
                            assertTrue(Math.abs(delta) > (1L << 32) || delta == Long.MIN_VALUE, a.id() + " row " + r + " entry " + i + " is near the truth");
                        }
                        assertEquals(Ring.Z64, ring);
                    }
                }
            }
            assertTrue(rowsChecked > 100, "checked " + rowsChecked + " rows");
        }
    }
}
