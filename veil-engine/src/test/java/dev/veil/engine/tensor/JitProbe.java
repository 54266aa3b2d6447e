package dev.veil.engine.tensor;

import dev.veil.engine.InMemoryModels;
import dev.veil.engine.inference.Forward;
import dev.veil.engine.inference.KVCache;
import dev.veil.engine.model.Model;
import dev.veil.engine.ring.Numeric;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.Supplier;

/**
 * Prints one line per kernel of the forward pass: the bits of its result, hashed, after computing it {@code args[0]}
 * times. {@link JitIndependenceTest} runs it once interpreted and once with C2 compiling after a few calls: the
 * lines must be identical, whatever tier computed them.
 */
public final class JitProbe {
    private static final int ROWS = 8, COLS = 512;

    private JitProbe() {}

    public static void main(String[] args) {
        for (String line : lines(Integer.parseInt(args[0]))) System.out.println(line);
    }

    static List<String> lines(int repeat) {
        List<String> out = new ArrayList<>();
        var rnd = new Random(5);
        float[] x = TensorKernelTest.gaussian(rnd, 4 * COLS);
        for (GGMLType type : GGMLType.SUPPORTED) {
            FloatTensor t = TensorKernelTest.randomTensor(type, ROWS * COLS, rnd);
            for (int n : new int[] {1, FloatTensor.GEMM_MIN_ROWS}) {
                out.add(type + " matmul n=" + n + " " + hash(repeat, () -> {
                    float[] y = new float[n * ROWS];
                    t.matmul(x, n, ROWS, COLS, y, ROWS, 0);
                    return y;
                }));
            }
        }
        float[] a = TensorKernelTest.gaussian(rnd, 1000), b = TensorKernelTest.gaussian(rnd, 1000);
        out.add("VectorMath.dot " + hash(repeat, () -> new float[] {VectorMath.dot(a, 1, b, 0, 999)}));
        out.add("VectorMath.siluGate " + hash(repeat, () -> {
            float[] y = new float[999];
            VectorMath.siluGate(a, 1, b, 0, y, 0, 999);
            return y;
        }));
        Model m = InMemoryModels.create(InMemoryModels.qwen2(), 3);
        for (Numeric numeric : new Numeric[] {Numeric.FLOAT, Numeric.Z64}) {
            var forward = new Forward(m.config(), m.node(), numeric.plain(m.config(), m.linear()));
            out.add("forward " + numeric + " " + hash(Math.max(1, repeat / 20), () -> {
                var cache = new KVCache(m.config(), 8);
                float[] prefill = forward.forward(new int[] {1, 7, 99, 42}, cache, true);
                float[] decode = forward.forward(new int[] {5}, cache, false);
                float[] both = Arrays.copyOf(prefill, prefill.length + decode.length);
                System.arraycopy(decode, 0, both, prefill.length, decode.length);
                return both;
            }));
        }
        return out;
    }

    private static String hash(int repeat, Supplier<float[]> f) {
        float[] y = f.get();
        for (int i = 1; i < repeat; i++) y = f.get();
        return Integer.toHexString(Arrays.hashCode(y));
    }
}
