package dev.veil.bench.kernels;

import dev.veil.engine.Parallel;
import dev.veil.engine.tensor.FloatTensor;
import dev.veil.engine.tensor.FloatTensors;
import dev.veil.engine.tensor.GGMLType;
import dev.veil.engine.tensor.Quantizer;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The weight multiply of one Llama-3.2-1B FFN matrix (8192 × 2048, the gate/up shape) per tensor type: decode
 * (n = 1, memory-bound) and prefill (n input rows, compute-bound). In-run baselines: type F32 (the float
 * kernel), and {@code matvecScalar}, the scalar twin of each type's kernel. {@code matvecFloatDot} is the
 * format's vectorized {@code dot} row by row, without the fused decode path's prepared input (Q8_0, Q4_0).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx6g"})
public class MatmulBenchmark {
    @Param({"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_K", "Q6_K"})
    public String type;

    @Param("8192")
    public int rows;

    @Param("2048")
    public int cols;

    /** Input rows of the prefill benchmark. */
    @Param("128")
    public int prefillRows;

    private Arena arena;
    private FloatTensor weights;
    private float[] x, out;

    @Setup(Level.Trial)
    public void setUp() {
        var rnd = new Random(42);
        float[] w = new float[rows * cols];
        for (int i = 0; i < w.length; i++) w[i] = (float) rnd.nextGaussian() * 0.02f;
        GGMLType t = GGMLType.valueOf(type);
        byte[] bytes = Quantizer.quantize(t, w);
        arena = Arena.ofShared();
        MemorySegment segment = arena.allocate(bytes.length, 64);  // off-heap, like a mapped model file
        MemorySegment.copy(MemorySegment.ofArray(bytes), 0, segment, 0, bytes.length);
        weights = FloatTensors.create(t, w.length, segment);
        x = new float[prefillRows * cols];
        for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
        out = new float[prefillRows * rows];
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }

    @Benchmark
    public float[] matvec() {
        weights.matmul(x, 1, rows, cols, out, rows, 0);
        return out;
    }

    @Benchmark
    public float[] matvecFloatDot() {
        Parallel.forEach(rows, j -> out[j] = weights.dot((long) j * cols, x, 0, cols));
        return out;
    }

    @Benchmark
    public float[] matvecScalar() {
        Parallel.forEach(rows, j -> out[j] = weights.dotScalar((long) j * cols, x, 0, cols));
        return out;
    }

    @Benchmark
    public float[] prefill() {
        weights.matmul(x, prefillRows, rows, cols, out, rows, 0);
        return out;
    }
}
