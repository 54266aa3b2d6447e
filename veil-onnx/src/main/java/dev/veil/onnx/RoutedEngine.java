package dev.veil.onnx;

import dev.veil.engine.inference.Projection;
import dev.veil.engine.ring.Numeric;
import dev.veil.engine.ring.Ring;
import dev.veil.protocol.MatrixId;
import dev.veil.protocol.ModelDims;
import dev.veil.protocol.Rows;
import dev.veil.protocol.transport.ServerMetrics;
import dev.veil.weights.JavaLinearEngine;
import dev.veil.weights.LinearEngine;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.LongAdder;

/**
 * Each batch to the engine that is faster at its size: a batch of fewer than {@code minRows(numeric)} rows (decode) to
 * Veil's Java kernels, a larger one (prefill) to ONNX Runtime. ONNX Runtime holds its weights as float32/float64/int64
 * once its session folds the casts, so one row, bound by the bytes of weights read, is slower there; many rows are
 * faster (BENCHMARKS.md). Ring products are bit for bit the same from both, so which engine answers is invisible to
 * the node. The two engines must hold one model: {@link #open} multiplies a probe row through both on every matrix
 * and numeric mode and refuses them when they disagree.
 */
public final class RoutedEngine implements LinearEngine {
    /** A threshold no batch reaches: every call in that mode goes to the Java kernels. */
    public static final int NEVER = Integer.MAX_VALUE;
    /**
     * Rows from which ONNX Runtime answers, per numeric mode, measured with {@code veil bench engines --rows 1,4,8,16,32,64,128}
     * at the 1B shape (BENCHMARKS.md, "Routing"): float and z32 from 32 rows, where ONNX Runtime was ahead on both matrices
     * by CPU time; Z_2^64 never, as ONNX Runtime's three-limb float64 graph was behind the Java kernels at every size.
     */
    public static final Map<Numeric, Integer> DEFAULT_MIN_ROWS = Map.of(Numeric.FLOAT, 32, Numeric.Z32, 32, Numeric.Z64, NEVER);
    /**
     * The thresholds for {@code ort}'s exports: {@link #DEFAULT_MIN_ROWS}, except a z32 export in the int8 ring graph,
     * which was ahead of the Java kernels at every size, one row included (VNNI's 8-bit products on 1-byte weights):
     * all its calls go to ONNX Runtime.
     */
    public static Map<Numeric, Integer> defaults(OrtEngine ort) {
        var m = new EnumMap<Numeric, Integer>(DEFAULT_MIN_ROWS);
        if (ort.ringGraph(Numeric.Z32) == Exporter.RingGraph.INT8) m.put(Numeric.Z32, 1);
        return m;
    }

    /** Float products of the two engines may differ this much (relative L2) on the probe; another model's differ by ~1. */
    static final double FLOAT_PROBE_TOLERANCE = 1e-2;

    private final JavaLinearEngine java;
    private final OrtEngine ort;
    private final Map<Numeric, Integer> minRows;
    private final LongAdder javaBatches = new LongAdder(), ortBatches = new LongAdder(), javaRows = new LongAdder(),
            ortRows = new LongAdder();

    private RoutedEngine(JavaLinearEngine java, OrtEngine ort, Map<Numeric, Integer> minRows) {
        this.java = java;
        this.ort = ort;
        this.minRows = new EnumMap<>(minRows);
    }

    /**
     * Routes between {@code java} and {@code ort} once they are checked to hold the same model (dims, and a probe row's
     * product on every matrix in every numeric mode {@code ort} serves); fails with one line otherwise.
     *
     * @param minRows rows from which ONNX Runtime answers, per numeric mode ({@link #DEFAULT_MIN_ROWS})
     */
    public static RoutedEngine open(JavaLinearEngine java, ModelDims javaDims, OrtEngine ort, Map<Numeric, Integer> minRows) {
        for (Numeric n : Numeric.values()) {
            Integer r = minRows.get(n);
            if (r == null || r < 1) throw new IllegalArgumentException("need rows >= 1 from which ONNX Runtime answers " + n + ": " + r);
        }
        if (!javaDims.equals(ort.dims())) {
            throw new IllegalArgumentException("--model is not the model exported in --repository: " + javaDims + " against " + ort.dims());
        }
        var rnd = new SplittableRandom(0x5eed);
        for (Numeric numeric : ort.numerics()) {
            for (Projection p : Projection.values()) {
                for (int l = 0; l < (p.perLayer() ? javaDims.layers() : 1); l++) {
                    var id = new MatrixId(p, l);
                    if (!agree(java, ort, id, numeric, javaDims.inDim(p), rnd)) {
                        throw new IllegalArgumentException("--model is not the model exported in --repository: its " + numeric
                                + " products of " + id + " differ from the export's");
                    }
                }
            }
        }
        return new RoutedEngine(java, ort, minRows);
    }

    /** Whether both engines give {@code id}'s product of one random row alike (rings: bit for bit, with the same row scales). */
    private static boolean agree(JavaLinearEngine java, OrtEngine ort, MatrixId id, Numeric numeric, int cols, SplittableRandom rnd) {
        if (numeric.ring == null) {
            float[] x = new float[cols];
            for (int i = 0; i < cols; i++) x[i] = (float) rnd.nextGaussian();
            var in = new Rows.Floats(1, cols, x);
            float[] a = ((Rows.Floats) java.multiply(id, in)).data(), b = ((Rows.Floats) ort.multiply(id, in)).data();
            double diff = 0, norm = 0;
            for (int i = 0; i < a.length; i++) {
                diff += (a[i] - (double) b[i]) * (a[i] - (double) b[i]);
                norm += (double) a[i] * a[i];
            }
            return diff <= FLOAT_PROBE_TOLERANCE * FLOAT_PROBE_TOLERANCE * norm;
        }
        Ring ring = numeric.ring;
        long[] x = new long[cols];
        for (int i = 0; i < cols; i++) x[i] = ring.wrap(rnd.nextLong());
        var in = new Rows.RingElements(ring, 1, cols, x);
        return Arrays.equals(java.rowScales(id, ring), ort.rowScales(id, ring))
                && Arrays.equals(((Rows.RingElements) java.multiply(id, in)).data(), ((Rows.RingElements) ort.multiply(id, in)).data());
    }

    @Override
    public Rows multiply(MatrixId id, Rows x) {
        Numeric numeric = x instanceof Rows.RingElements r ? (r.ring() == Ring.Z64 ? Numeric.Z64 : Numeric.Z32) : Numeric.FLOAT;
        // a mode not exported goes to ONNX Runtime, which refuses it whatever the rows: the same answer for every call
        if (x.rows() < minRows.get(numeric) && ort.numerics().contains(numeric)) {
            javaBatches.increment();
            javaRows.add(x.rows());
            return java.multiply(id, x);
        }
        ortBatches.increment();
        ortRows.add(x.rows());
        return ort.multiply(id, x);
    }

    @Override
    public float[] rowScales(MatrixId id, Ring ring) {
        return ort.rowScales(id, ring); // the Java engine's too: checked when opened
    }

    /** ONNX Runtime's batches, and never fewer rows than it answers from: a prefill reaches it whole, not cut below the threshold. */
    @Override
    public int minBatchRows() {
        return Math.max(ort.minBatchRows(), minRows.values().stream().mapToInt(Integer::intValue).filter(r -> r != NEVER).max().orElse(1));
    }

    /** Batches and rows each engine multiplied: {java batches, java rows, onnxruntime batches, onnxruntime rows}. */
    public long[] routed() {
        return new long[] {javaBatches.sum(), javaRows.sum(), ortBatches.sum(), ortRows.sum()};
    }

    @Override
    public void prometheus(StringBuilder out) {
        ServerMetrics.labelled(out, "veil_engine_batches_total", "Multiplies run, by the engine routed to.", "engine",
                Map.of("java", javaBatches, "onnxruntime", ortBatches));
        ServerMetrics.labelled(out, "veil_engine_rows_total", "Rows multiplied, by the engine routed to.", "engine",
                Map.of("java", javaRows, "onnxruntime", ortRows));
    }

    @Override
    public long extraBytes() {
        return java.extraBytes();
    }

    @Override
    public String describe() {
        var sb = new StringBuilder();
        for (Numeric n : ort.numerics()) {
            int r = minRows.get(n);
            sb.append(sb.isEmpty() ? "" : ", ").append(n).append(r == NEVER ? ": java only" : r == 1 ? ": onnxruntime only"
                    : " from " + r + " rows");
        }
        return "routed: java kernels below the threshold, " + ort.describe() + " from it (" + sb + ")";
    }

    @Override
    public void close() {
        ort.close();
        java.close();
    }
}
