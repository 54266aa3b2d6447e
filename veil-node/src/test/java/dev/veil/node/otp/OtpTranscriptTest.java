package dev.veil.node.otp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.veil.engine.inference.Forward;
import dev.veil.engine.inference.KVCache;
import dev.veil.engine.inference.LinearOps;
import dev.veil.engine.inference.Sampler;
import dev.veil.engine.model.Model;
import dev.veil.engine.ring.Numeric;
import dev.veil.engine.ring.Ring;
import dev.veil.protocol.MatrixId;
import dev.veil.protocol.Message;
import dev.veil.protocol.ModelDims;
import dev.veil.protocol.Rows;
import dev.veil.protocol.transcript.TranscriptReader;
import dev.veil.protocol.transcript.TranscriptWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The weights server's transcript of a remo-otp session, in the format every scheme writes: no set-up (there
 * is no public base), and every row it received a one-time pad of the true encoded activation.
 */
class OtpTranscriptTest {
    record Activation(MatrixId id, float[] rows, int n) {}

    @Test
    void theServerSeesOnlyPaddedRowsAndNoPublicBase(@TempDir Path dir) throws Exception {
        Model model = OneTimePadEndToEndTest.stories();
        var shape = ModelDims.of(model.config());
        Path file = dir.resolve("otp.veiltr");
        List<Activation> truth = new ArrayList<>();
        try (var writer = new TranscriptWriter(file, "test-model", shape);
             var rt = new OtpRuntime(model, OtpConfig.of(Numeric.Z64), writer, s -> s)) {
            LinearOps inner = rt.node.linear(), recording = (p, layer, x, n, out) -> {
                truth.add(new Activation(new MatrixId(p, p.perLayer() ? layer : 0), Arrays.copyOf(x, n * p.inDim(model.config())), n));
                inner.apply(p, layer, x, n, out);
            };
            var f = new Forward(model.config(), model.node(), recording);
            var cache = new KVCache(model.config(), 32);
            float[] logits = f.forward(new int[] {1, 403, 407, 261, 378}, cache, false);
            for (int i = 0; i < 4; i++) logits = f.forward(new int[] {Sampler.greedy().sample(logits)}, cache, false);
            rt.close(); // the server writes its last records before the transcript closes
        }
        var t = TranscriptReader.readAll(file);
        assertEquals("test-model", t.modelId());
        assertTrue(t.publicBases().isEmpty());
        assertTrue(t.entries().stream().allMatch(e -> e.request() instanceof Message.Linear && e.reply() instanceof Message.LinearReply));
        var calls = t.linearCalls();
        assertEquals(truth.size(), calls.size());
        long values = 0, negative = 0;
        for (int c = 0; c < calls.size(); c++) {
            Activation a = truth.get(c);
            assertEquals(a.id(), calls.get(c).matrix());
            var got = (Rows.RingElements) calls.get(c).input();
            assertEquals(Ring.Z64, got.ring());
            assertEquals(a.n(), got.rows());
            long[] v = got.data();
            for (int i = 0; i < a.n() * got.cols(); i++, values++) {
                long delta = v[i] - Ring.Z64.quantize(a.rows()[i]);
                // a uniform pad lands within 2^32 of the encoding with probability 2^-31
                assertTrue(Math.abs(delta) > (1L << 32) || delta == Long.MIN_VALUE, a.id() + " value " + i + " is near the truth");
                if (v[i] < 0) negative++;
            }
        }
        assertTrue(values > 10_000, values + " values");
        assertEquals(0.5, (double) negative / values, 0.02); // uniform over the ring: the sign is a fair coin
    }
}
