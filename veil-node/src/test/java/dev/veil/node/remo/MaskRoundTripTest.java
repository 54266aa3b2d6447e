package dev.veil.node.remo;

import dev.veil.node.MaskRandom;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.veil.engine.InMemoryModels;
import dev.veil.engine.inference.Forward;
import dev.veil.engine.inference.KVCache;
import dev.veil.engine.inference.Projection;
import dev.veil.engine.model.Model;
import dev.veil.engine.ring.Numeric;
import dev.veil.engine.ring.Ring;
import dev.veil.engine.ring.RingMatrix;
import dev.veil.engine.tensor.F32Tensor;
import dev.veil.engine.tensor.FloatTensor;
import dev.veil.protocol.MatrixId;
import dev.veil.protocol.Message;
import dev.veil.protocol.ModelDims;
import dev.veil.protocol.Rows;
import dev.veil.protocol.transport.InMemoryChannel;
import dev.veil.protocol.transport.Service;
import dev.veil.weights.WeightsServer;
import java.time.Duration;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** Property tests: mask then restore gives E·Wᵀ, for random shapes, ranks m, row counts and mask scales. */
class MaskRoundTripTest {
    /** Multiplies whatever rows it gets by one matrix W (dOut × dIn), as a weights server does. */
    static Service matrixServer(float[] w, int dOut, int dIn) {
        var tensor = F32Tensor.of(w);
        return (peer, request) -> {
            Rows x = switch (request) {
                case Message.Setup s -> s.base();
                case Message.Linear l -> l.input();
                default -> throw new IllegalArgumentException("unexpected " + request);
            };
            Rows out;
            float[] scales = new float[0];
            if (x instanceof Rows.RingElements e) {
                var q = RingMatrix.quantize(e.ring(), dIn, new FloatTensor[] {tensor}, new int[] {dOut});
                long[] o = new long[x.rows() * dOut];
                q.multiply(e.ring(), e.data(), x.rows(), o);
                out = new Rows.RingElements(e.ring(), x.rows(), dOut, o);
                scales = q.rowScales();
            } else {
                float[] o = new float[x.rows() * dOut];
                tensor.matmul(((Rows.Floats) x).data(), x.rows(), dOut, dIn, o, dOut, 0);
                out = new Rows.Floats(x.rows(), dOut, o);
            }
            Message reply = request instanceof Message.Setup ? new Message.SetupReply(out, scales) : new Message.LinearReply(out, 0);
            return CompletableFuture.completedFuture(reply);
        };
    }

    @Test
    void restoreUndoesTheMaskForRandomShapes() {
        var rnd = new SplittableRandom(5);
        var random = new MaskRandom();
        var id = new MatrixId(Projection.ATTN_OUT, 0);
        double movedPerEntry = 0; // over float trials: the mean squared shift of an entry, in units of sigma²
        int floatTrials = 0;
        for (int trial = 0; trial < 150; trial++) {
            int dIn = 2 + rnd.nextInt(80), dOut = 1 + rnd.nextInt(90), m = 1 + rnd.nextInt(dIn - 1), n = 1 + rnd.nextInt(5);
            Numeric numeric = Numeric.values()[trial % 3];
            double sigma = new double[] {0.1, 1, 10}[rnd.nextInt(3)];
            float[] w = new float[dOut * dIn], x = new float[n * dIn + 3];
            for (int i = 0; i < w.length; i++) w[i] = (float) (rnd.nextGaussian() / Math.sqrt(dIn));
            for (int i = 0; i < x.length; i++) x[i] = (float) (rnd.nextGaussian() * 3);
            var channel = new InMemoryChannel(matrixServer(w, dOut, dIn), Duration.ofSeconds(10));
            var base = PublicBase.setup(channel, id, m, dIn, dOut, new RemoConfig(MaskSize.rows(m), numeric, sigma), random);
            MaskedCall call = base.mask(x, 3, n, random);
            var reply = channel.call(new Message.Linear(id, call.masked()), Message.LinearReply.class);
            float[] restored = new float[n * dOut + 2];
            call.restore(reply.output(), restored, 2);

            float[] expected = new float[n * dOut];
            float[] rows = java.util.Arrays.copyOfRange(x, 3, 3 + n * dIn);
            if (numeric.exact()) {
                Ring ring = numeric.ring;
                var q = RingMatrix.quantize(ring, dIn, new FloatTensor[] {F32Tensor.of(w)}, new int[] {dOut});
                long[] qx = new long[n * dIn], acc = new long[n * dOut];
                ring.quantize(rows, n * dIn, qx);
                q.multiply(ring, qx, n, acc);
                ring.dequantize(acc, n, dOut, q.rowScales(), expected, 0);
                assertArrayEquals(expected, java.util.Arrays.copyOfRange(restored, 2, 2 + n * dOut), "trial " + trial);
            } else {
                F32Tensor.of(w).matmul(rows, n, dOut, dIn, expected, dOut, 0);
                double scale = 1e-5 * (1 + sigma) * Math.sqrt(dIn);
                for (int i = 0; i < expected.length; i++) assertEquals(expected[i], restored[2 + i], scale, "trial " + trial + " sigma " + sigma);
                // and the server did not get x: the mask moved every row, each entry by sigma in root mean square
                float[] e = ((Rows.Floats) call.masked()).data();
                double moved = 0;
                for (int i = 0; i < e.length; i++) moved += (e[i] - rows[i]) * (e[i] - rows[i]);
                assertTrue(moved > 0, "trial " + trial);
                movedPerEntry += moved / (n * dIn) / (sigma * sigma);
                floatTrials++;
            }
        }
        // the mask scale is what it says: E[entry²] = sigma² (a mean over about 50 trials: within a factor 1.5)
        double mean = movedPerEntry / floatTrials;
        assertTrue(mean > 0.67 && mean < 1.5, "mean squared mask entry " + mean + " sigma²");
    }

    @Test
    void callsAreSplitToStayUnderTheFrameLimit() {
        Model model = InMemoryModels.create(InMemoryModels.llama(), 3);
        var c = model.config();
        var server = new WeightsServer("m", c, model.linear(), null);
        var channel = new InMemoryChannel(server, Duration.ofSeconds(10));
        channel.call(new Message.Hello("m"), Message.Welcome.class);
        // a limit that fits about three rows of the widest matrix (the 300-token LM head, 8-byte elements)
        var pool = RestorationPool.setup(channel, ModelDims.of(c), RemoConfig.of(MaskSize.fraction(0.25), Numeric.Z64), 1024 + 3 * 8 * 300);
        var stats = new RemoStats();
        int[] prompt = new int[20];
        for (int i = 0; i < prompt.length; i++) prompt[i] = 7 * i + 1;
        float[] remo = new Forward(c, model.node(), new MaskedLinear(pool, channel, stats)).forward(prompt, new KVCache(c, 20), true);
        float[] plain = new Forward(c, model.node(), Numeric.Z64.plain(c, model.linear())).forward(prompt, new KVCache(c, 20), true);
        assertArrayEquals(plain, remo);
        assertTrue(stats.calls() > 5L * c.layers() + 1, "rows were split into more calls: " + stats.calls());
        server.close();
    }
}
