package dev.veil.onnx;

import dev.veil.engine.Parallel;
import dev.veil.engine.inference.Projection;
import dev.veil.engine.model.Model;
import dev.veil.engine.ring.Numeric;
import dev.veil.engine.ring.Ring;
import dev.veil.protocol.MatrixId;
import dev.veil.protocol.ModelDims;
import dev.veil.protocol.Rows;
import dev.veil.weights.JavaLinearEngine;
import dev.veil.weights.LinearEngine;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.stream.Stream;

/**
 * The weights server's engines on one model, same run: Veil's Java kernels against ONNX Runtime on the CPU (the f64
 * ring graph, and another one too when asked, {@link Exporter.RingGraph}) and the two routed by rows
 * ({@link RoutedEngine}, its default thresholds), per call class (by default decode: 1 row; the server's batch at a
 * wide matrix: 16 rows; prefill: 128 rows), in float and both rings, on the model's first ATTN_OUT and FFN_DOWN
 * (2048×2048 and 2048×8192 at the 1B shape). The engines run alternately, round after round, so a noisy host slows
 * all alike; each figure is the median over rounds of the mean time per call.
 */
public final class EngineBench {
    static final int[] ROWS = {1, 16, 128};
    /** Least time one engine runs in one round. */
    static final long ROUND_NANOS = 300_000_000L;

    private EngineBench() {}

    public static int run(Model m, int rounds, int warmup, PrintStream out) throws IOException {
        return run(m, ROWS, null, rounds, warmup, out);
    }

    /** As above, at {@code rows} rows per call, with ONNX Runtime's ring graph {@code other} as well (INT, INT8) unless null. */
    public static int run(Model m, int[] rows, Exporter.RingGraph other, int rounds, int warmup, PrintStream out) throws IOException {
        if (other == Exporter.RingGraph.F64) other = null;
        boolean intGraph = other != null;
        if (rounds < 1 || warmup < 0) throw new IllegalArgumentException("need -r >= 1 and --warmup >= 0");
        if (rows.length == 0 || Arrays.stream(rows).anyMatch(n -> n < 1)) throw new IllegalArgumentException("need --rows of 1 or more");
        var c = m.config();
        Path dir = Files.createTempDirectory("veil-engine-bench");
        try {
            List<Path> f64 = new ArrayList<>(), integer = new ArrayList<>();
            for (Numeric numeric : Numeric.values()) {
                for (Exporter.RingGraph graph : Exporter.RingGraph.values()) {
                    if (graph != Exporter.RingGraph.F64 && (numeric.ring == null || graph != other)) continue;
                    Path d = dir.resolve(numeric + "-" + graph);
                    Exporter.export(c, m.linear(), "bench", "bench", numeric, graph, Exporter.Format.ONNX, Exporter.Device.CPU, d,
                            name -> {});
                    (graph == other ? integer : f64).add(d);
                }
            }
            var java = new JavaLinearEngine(c, m.linear());
            int threads = Parallel.threads(); // ONNX Runtime gets as many threads as the Java kernels
            try (var ortF64 = OrtEngine.open(f64, OrtEngine.Device.CPU, threads);
                 var ortInt = intGraph ? OrtEngine.open(integer, OrtEngine.Device.CPU, threads) : null) {
                var routed = RoutedEngine.open(java, ModelDims.of(c), ortF64, RoutedEngine.DEFAULT_MIN_ROWS);
                out.printf(Locale.ROOT, "veil bench engines: %s each (Java kernels; %s); %s; "
                        + "%d warm-up calls, %d rounds of >= %d ms each; wall ms per call (process CPU ms per call)%n",
                        dev.veil.protocol.Counts.of(threads, "thread"), ortF64.describe(), routed.describe(), warmup, rounds,
                        ROUND_NANOS / 1_000_000);
                out.println();
                out.println("| matrix | out × in | numeric | rows | Java |" + (intGraph ? " ORT, " + other + " graph |" : "")
                        + " ORT, f64 graph | routed | ORT's best speed-up (wall; CPU) | routed's speed-up (wall; CPU) |");
                out.println("|---|---|---|---:|---:|" + (intGraph ? "---:|" : "") + "---:|---:|---:|---:|");
                for (Projection p : List.of(Projection.ATTN_OUT, Projection.FFN_DOWN)) {
                    var id = new MatrixId(p, 0);
                    for (Numeric numeric : Numeric.values()) {
                        for (int n : rows) {
                            Rows x = input(numeric, n, p.inDim(c), new SplittableRandom(n));
                            boolean ring = numeric.ring != null, withInt = ring && intGraph;
                            same(java.multiply(id, x), ortF64.multiply(id, x), id, numeric);
                            same(java.multiply(id, x), routed.multiply(id, x), id, numeric);
                            if (withInt) same(java.multiply(id, x), ortInt.multiply(id, x), id, numeric);
                            for (int i = 0; i < warmup; i++) {
                                java.multiply(id, x);
                                ortF64.multiply(id, x);
                                routed.multiply(id, x);
                                if (withInt) ortInt.multiply(id, x);
                            }
                            double[][] tj = new double[2][rounds], ti = new double[2][rounds], tf = new double[2][rounds],
                                    tr = new double[2][rounds];
                            for (int r = 0; r < rounds; r++) {
                                perCall(java, id, x, tj, r);
                                perCall(ortF64, id, x, tf, r);
                                perCall(routed, id, x, tr, r);
                                if (withInt) perCall(ortInt, id, x, ti, r);
                            }
                            double[] j = median(tj), i = withInt ? median(ti) : null, f = median(tf), rt = median(tr);
                            double[] best = withInt && i[0] < f[0] ? i : f;
                            out.printf(Locale.ROOT, "| %s | %d × %d | %s | %d | %s |%s %s | %s | %.2f×; %.2f× | %.2f×; %.2f× |%n", id,
                                    p.outDim(c), p.inDim(c), numeric, n, ms(j),
                                    !intGraph ? "" : " " + (ring ? ms(i) : "(float: one graph)") + " |", ms(f), ms(rt),
                                    j[0] / best[0], j[1] / best[1], j[0] / rt[0], j[1] / rt[1]);
                            out.flush();
                        }
                    }
                }
            }
        } finally {
            try (Stream<Path> files = Files.walk(dir)) {
                for (Path f : files.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(f);
            }
        }
        return 0;
    }

    private static Rows input(Numeric numeric, int n, int cols, SplittableRandom rnd) {
        if (numeric.ring == null) {
            float[] x = new float[n * cols];
            for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
            return new Rows.Floats(n, cols, x);
        }
        Ring ring = numeric.ring;
        long[] x = new long[n * cols];
        for (int i = 0; i < x.length; i++) x[i] = ring.wrap(rnd.nextLong()); // masked inputs: uniform in the ring
        return new Rows.RingElements(ring, n, cols, x);
    }

    /** Ring products must agree bit for bit: a benchmark of a wrong engine measures nothing. */
    private static void same(Rows a, Rows b, MatrixId id, Numeric numeric) {
        if (a instanceof Rows.RingElements ra && !Arrays.equals(ra.data(), ((Rows.RingElements) b).data())) {
            throw new IllegalStateException("ONNX Runtime's (or the routed engine's) " + numeric + " product of " + id
                    + " differs from the Java engine's");
        }
    }

    private static final com.sun.management.OperatingSystemMXBean OS =
            (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();

    /**
     * Seconds per call into t[0][round], and the process's CPU seconds per call (every thread's, ONNX Runtime's native
     * ones too: robust to a loaded host, which stretches wall time) into t[1][round], over calls for at least ROUND_NANOS.
     */
    private static void perCall(LinearEngine e, MatrixId id, Rows x, double[][] t, int round) {
        long t0 = System.nanoTime(), c0 = OS.getProcessCpuTime(), dt;
        int calls = 0;
        do {
            e.multiply(id, x);
            calls++;
            dt = System.nanoTime() - t0;
        } while (dt < ROUND_NANOS);
        t[0][round] = dt / 1e9 / calls;
        t[1][round] = (OS.getProcessCpuTime() - c0) / 1e9 / calls;
    }

    private static double[] median(double[][] v) {
        double[] m = new double[v.length];
        for (int k = 0; k < v.length; k++) {
            double[] s = v[k].clone();
            Arrays.sort(s);
            m[k] = s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
        }
        return m;
    }

    private static String ms(double[] t) {
        return String.format(Locale.ROOT, "%.2f (%.2f)", t[0] * 1e3, t[1] * 1e3);
    }
}
