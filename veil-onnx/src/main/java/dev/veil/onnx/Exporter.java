package dev.veil.onnx;

import dev.veil.engine.inference.Projection;
import dev.veil.engine.model.LinearWeights;
import dev.veil.engine.model.LlamaConfig;
import dev.veil.engine.ring.Numeric;
import dev.veil.engine.ring.Ring;
import dev.veil.engine.ring.RingMatrix;
import dev.veil.engine.tensor.FloatTensor;
import dev.veil.protocol.MatrixId;
import dev.veil.protocol.ModelDims;
import dev.veil.protocol.oip.Oip;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * Writes every linear matrix of a model (the fused projections as the weights server serves them: QKV, ATTN_OUT,
 * GATE_UP, FFN_DOWN per layer, and LM_HEAD) as an ONNX model {@code output = MatMul(input, Cast(w))}, laid out as a Triton
 * model repository of the names the node's OIP client asks for ({@link Oip#name}: {@code blk.0.attn_qkv.z64}, ...):
 * {@code DIR/NAME/1/model.onnx}, with {@code DIR/NAME/config.pbtxt} for Triton, and {@code DIR/veil-export.json} (see
 * docs/onnx.md). A ring model also outputs its row scales ({@code row_scales}), as the node asks on setup calls.
 *
 * <p>Float mode keeps the model's weights (dequantized) as float16, cast to float32 in the graph. A ring mode writes
 * the weights server's own integer weights ({@link RingMatrix#quantize}, the same rounding and row scales): int16 for
 * Z_2^64 (exact), int8 for Z_2^32; the node's ring elements go in as int64 (int32) and the wrap-around sum comes out,
 * computed by one integer MatMul or by exact float64 MatMuls on limbs ({@link RingGraph}).
 */
public final class Exporter {
    public enum Format { ONNX, TRITON }

    /** Triton's instance kind for the models. */
    public enum Device { CPU, GPU }

    /**
     * How a ring model computes its (identical) products: {@code INT} one integer MatMul (int64, or int32), ONNX
     * Runtime's generic integer GEMM; {@code F64} exact float64 MatMuls on limbs of the input (OnnxWriter), its MLAS GEMM;
     * {@code INT8} 8-bit MatMulInteger on 7-bit limbs of the input, for devices without integer MatMul or fast float64
     * (CUDA), exact on every x86 CPU too.
     */
    public enum RingGraph {
        INT, F64, INT8;

        public static RingGraph parse(String s) {
            return switch (s.toLowerCase(Locale.ROOT)) {
                case "int" -> INT;
                case "f64" -> F64;
                case "int8" -> INT8;
                default -> throw new IllegalArgumentException("unknown ring graph '" + s + "' (int, f64, int8)");
            };
        }

        @Override
        public String toString() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** The ring graph an export uses unless told: the faster on the CPU (BENCHMARKS.md, "ONNX Runtime as the weights server's engine"). */
    public static final RingGraph DEFAULT_RING_GRAPH = RingGraph.F64;

    private Exporter() {}

    /** The model (and folder) name of a matrix in {@code numeric}: the node's OIP name ({@link Oip#name}), which Triton serves. */
    public static String name(Projection p, int layer, Numeric numeric) {
        return Oip.name(new MatrixId(p, layer), numeric.ring);
    }

    /**
     * Writes the export of {@code weights} to {@code out} (created if absent; must be empty), reporting each matrix's name
     * to {@code progress}.
     */
    public static ExportManifest export(LlamaConfig c, LinearWeights weights, String modelFile, String modelId, Numeric numeric,
            Format format, Device device, Path out, Consumer<String> progress) throws IOException {
        return export(c, weights, modelFile, modelId, numeric, DEFAULT_RING_GRAPH, format, device, out, progress);
    }

    /** As above, ring models computed by {@code graph}. */
    public static ExportManifest export(LlamaConfig c, LinearWeights weights, String modelFile, String modelId, Numeric numeric,
            RingGraph graph, Format format, Device device, Path out, Consumer<String> progress) throws IOException {
        Files.createDirectories(out);
        try (var entries = Files.list(out)) {
            if (entries.findAny().isPresent()) throw new IllegalArgumentException(out + " is not empty: export into a new folder");
        }
        List<ExportManifest.Matrix> matrices = new ArrayList<>();
        for (Projection p : Projection.values()) {
            for (int l = 0; l < (p.perLayer() ? c.layers() : 1); l++) {
                String name = name(p, l, numeric);
                Path dir = Files.createDirectories(out.resolve(name).resolve("1"));
                int rows = p.outDim(c), cols = p.inDim(c);
                if (numeric.ring == null) {
                    writeFloat(dir.resolve("model.onnx"), name, parts(c, weights, p, l), partRows(c, p), rows, cols);
                } else {
                    RingMatrix m = RingMatrix.quantize(numeric.ring, cols, parts(c, weights, p, l), partRows(c, p));
                    writeRing(dir.resolve("model.onnx"), name, numeric.ring, graph, m);
                }
                if (format == Format.TRITON) {
                    Files.writeString(out.resolve(name).resolve("config.pbtxt"), TritonConfig.text(name, numeric, device, rows, cols));
                }
                matrices.add(new ExportManifest.Matrix(name, p.name(), l, rows, cols, name + "/1/model.onnx"));
                progress.accept(name);
            }
        }
        var manifest = new ExportManifest(ExportManifest.FORMAT, modelFile, modelId, numeric.toString(),
                numeric.ring == null ? null : graph.toString(),
                format == Format.TRITON ? "KIND_" + device : null, ModelDims.of(c), matrices);
        manifest.write(out);
        return manifest;
    }

    /** The tensors of a fused projection, as the weights server stacks them (RingLinearOps). */
    static FloatTensor[] parts(LlamaConfig c, LinearWeights w, Projection p, int l) {
        return switch (p) {
            case QKV -> new FloatTensor[] {w.wq()[l], w.wk()[l], w.wv()[l]};
            case ATTN_OUT -> new FloatTensor[] {w.wo()[l]};
            case GATE_UP -> new FloatTensor[] {w.gate()[l], w.up()[l]};
            case FFN_DOWN -> new FloatTensor[] {w.down()[l]};
            case LM_HEAD -> new FloatTensor[] {w.lmHead()};
        };
    }

    static int[] partRows(LlamaConfig c, Projection p) {
        return switch (p) {
            case QKV -> new int[] {c.qDim(), c.kvDim(), c.kvDim()};
            case ATTN_OUT, FFN_DOWN -> new int[] {c.dim()};
            case GATE_UP -> new int[] {c.hiddenDim(), c.hiddenDim()};
            case LM_HEAD -> new int[] {c.vocabSize()};
        };
    }

    /** Weights as float16 [cols, rows] (transposed: MatMul(x, w) is x·Wᵀ), cast to float. */
    private static void writeFloat(Path file, String name, FloatTensor[] parts, int[] partRows, int rows, int cols) throws IOException {
        byte[] raw = new byte[Math.multiplyExact(Math.multiplyExact(rows, cols), 2)];
        float[] row = new float[cols];
        int j = 0;
        for (int p = 0; p < parts.length; p++) {
            for (int r = 0; r < partRows[p]; r++, j++) {
                parts[p].copyRow(r, cols, row, 0);
                for (int i = 0; i < cols; i++) {
                    float v = row[i];
                    if (!(Math.abs(v) <= 65504f)) {
                        throw new IllegalArgumentException(name + " has a weight (" + v + ") that float16 cannot hold; export it in a ring "
                                + "mode");
                    }
                    short h = Float.floatToFloat16(v);
                    int at = 2 * (i * rows + j);
                    raw[at] = (byte) h;
                    raw[at + 1] = (byte) (h >> 8);
                }
            }
        }
        OnnxWriter.matmul(file, name, OnnxWriter.FLOAT, OnnxWriter.FLOAT16, cols, rows, raw.length, o -> o.write(raw), null);
    }

    /** The integer weights as int16 (Z_2^64) or int8 (Z_2^32) [cols, rows], cast to the ring's integer type. */
    private static void writeRing(Path file, String name, Ring ring, RingGraph graph, RingMatrix m) throws IOException {
        int rows = m.rows(), cols = m.cols(), bytes = ring == Ring.Z64 ? 2 : 1;
        if (ring.maxWeight() >= 1 << (8 * bytes - 1)) throw new IllegalStateException(ring + "'s weights do not fit " + bytes + " bytes");
        byte[] raw = new byte[Math.multiplyExact(Math.multiplyExact(rows, cols), bytes)];
        short[] row = new short[cols];
        for (int j = 0; j < rows; j++) {
            m.copyRow(j, row, 0);
            for (int i = 0; i < cols; i++) {
                int at = bytes * (i * rows + j);
                raw[at] = (byte) row[i];
                if (bytes == 2) raw[at + 1] = (byte) (row[i] >> 8);
            }
        }
        int io = ring == Ring.Z64 ? OnnxWriter.INT64 : OnnxWriter.INT32;
        if (graph == RingGraph.INT8 && ring == Ring.Z64) {
            OnnxWriter.ringBytes64(file, name, cols, rows, 3L * rows * cols, o -> o.write(byteLimbs(raw, rows, cols)), m.rowScales());
        } else if (graph == RingGraph.INT8) {
            OnnxWriter.ringBytes32(file, name, cols, rows, raw.length, o -> o.write(raw), m.rowScales());
        } else if (graph == RingGraph.INT) {
            OnnxWriter.matmul(file, name, io, bytes == 2 ? OnnxWriter.INT16 : OnnxWriter.INT8, cols, rows, raw.length, o -> o.write(raw),
                    m.rowScales());
        } else if (ring == Ring.Z64) {
            OnnxWriter.ringLimbs64(file, name, cols, rows, raw.length, o -> o.write(raw), m.rowScales());
        } else {
            OnnxWriter.ringFloat32(file, name, cols, rows, raw.length, o -> o.write(raw), m.rowScales());
        }
    }

    /**
     * int16 weights [cols, rows] (little-endian) as three s8 limbs side by side, [cols, 3·rows]: w = w_0 + 2^7·w_1 + 2^14·w_2
     * with 0 ≤ w_0, w_1 ≤ 127 and −2 ≤ w_2 ≤ 1 (OnnxWriter.ringBytes64).
     */
    static byte[] byteLimbs(byte[] int16, int rows, int cols) {
        byte[] out = new byte[Math.multiplyExact(3, int16.length / 2)];
        for (int i = 0; i < cols; i++) {
            for (int j = 0; j < rows; j++) {
                int at = i * rows + j, w = (short) ((int16[2 * at] & 0xff) | int16[2 * at + 1] << 8);
                int base = 3 * i * rows + j;
                out[base] = (byte) Math.floorMod(w, 128);
                out[base + rows] = (byte) Math.floorMod(Math.floorDiv(w, 128), 128);
                out[base + 2 * rows] = (byte) Math.floorDiv(w, 1 << 14);
            }
        }
        return out;
    }
}
