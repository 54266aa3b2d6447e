package dev.veil.protocol.oip;

import dev.veil.engine.inference.Projection;
import dev.veil.engine.ring.Ring;
import dev.veil.protocol.MatrixId;
import dev.veil.protocol.ModelDims;
import dev.veil.protocol.Rows;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How Veil's linear calls map onto the Open Inference Protocol v2 (KServe v2, Triton's HTTP/REST protocol), on both
 * ends (docs/oip.md): one model per weight matrix and numeric mode, named as GGUF names the tensors
 * ({@code blk.0.attn_qkv}, {@code output}) with {@code .z64} / {@code .z32} for the rings; one input tensor
 * {@value #INPUT} of shape [n, d_in], one output {@value #OUTPUT} of shape [n, d_out] (and, for a ring model,
 * {@value #ROW_SCALES} of shape [d_out], the quantized weights' scale per output row); datatype FP32 for float,
 * INT64 for Z_2^64, INT32 for Z_2^32; binary tensor data little-endian, row-major.
 */
public final class Oip {
    public static final String INPUT = "input", OUTPUT = "output", ROW_SCALES = "row_scales";
    /** The binary tensor data extension's header: bytes of the JSON part at the start of the body. */
    public static final String HEADER_LENGTH = "Inference-Header-Content-Length";
    /** Output parameter carrying the server's multiply time (Veil's own; other servers leave it out). */
    public static final String SERVER_NANOS = "veil_server_nanos";
    /** Bytes a JSON part (of a binary request or reply) may take. */
    public static final int MAX_JSON_HEADER = 64 << 10;

    private static final Pattern NAME = Pattern.compile("(?:blk\\.(\\d{1,6})\\.(attn_qkv|attn_output|ffn_gate_up|ffn_down)|(output))"
            + "(?:\\.(z64|z32))?");

    private Oip() {}

    /** One served model: a matrix in one numeric mode ({@code ring} null: float). */
    public record Model(MatrixId matrix, Ring ring) {
        public String name() {
            return Oip.name(matrix, ring);
        }

        public String datatype() {
            return Oip.datatype(ring);
        }
    }

    /** The model name of {@code matrix} in {@code ring} (null: float). */
    public static String name(MatrixId matrix, Ring ring) {
        String base = switch (matrix.projection()) {
            case QKV -> "blk." + matrix.layer() + ".attn_qkv";
            case ATTN_OUT -> "blk." + matrix.layer() + ".attn_output";
            case GATE_UP -> "blk." + matrix.layer() + ".ffn_gate_up";
            case FFN_DOWN -> "blk." + matrix.layer() + ".ffn_down";
            case LM_HEAD -> "output";
        };
        return ring == null ? base : base + "." + ring.name().toLowerCase(java.util.Locale.ROOT);
    }

    /** The model {@code name} names in a model of {@code dims}, or null when it names none. */
    public static Model model(String name, ModelDims dims) {
        Matcher m = NAME.matcher(name);
        if (!m.matches()) return null;
        Ring ring = m.group(4) == null ? null : m.group(4).equals("z64") ? Ring.Z64 : Ring.Z32;
        if (m.group(3) != null) return new Model(new MatrixId(Projection.LM_HEAD, 0), ring);
        int layer = Integer.parseInt(m.group(1));
        if (layer >= dims.layers()) return null;
        Projection p = switch (m.group(2)) {
            case "attn_qkv" -> Projection.QKV;
            case "attn_output" -> Projection.ATTN_OUT;
            case "ffn_gate_up" -> Projection.GATE_UP;
            default -> Projection.FFN_DOWN;
        };
        return new Model(new MatrixId(p, layer), ring);
    }

    public static String datatype(Ring ring) {
        return ring == null ? "FP32" : ring == Ring.Z64 ? "INT64" : "INT32";
    }

    public static int elementBytes(Ring ring) {
        return ring == null ? Float.BYTES : ring.bytes();
    }

    /** The ring of a tensor's rows, null for float. */
    public static Ring ring(Rows rows) {
        return rows instanceof Rows.RingElements e ? e.ring() : null;
    }

    /** Writes {@code rows}' values little-endian into {@code out}, at its position. */
    public static void write(Rows rows, ByteBuffer out) {
        out.order(ByteOrder.LITTLE_ENDIAN);
        int n = rows.rows() * rows.cols();
        switch (rows) {
            case Rows.Floats f -> out.asFloatBuffer().put(f.data(), 0, n);
            case Rows.RingElements e when e.ring() == Ring.Z64 -> out.asLongBuffer().put(e.data(), 0, n);
            case Rows.RingElements e -> {
                var ints = out.asIntBuffer();
                long[] d = e.data();
                for (int i = 0; i < n; i++) ints.put(i, (int) d[i]);
            }
        }
        out.position(out.position() + (int) rows.dataBytes());
    }

    /** {@code rows × cols} values of {@code ring} (null: FP32) read little-endian from {@code b} at {@code offset}. */
    public static Rows read(Ring ring, int rows, int cols, byte[] b, int offset) {
        int n = Math.multiplyExact(rows, cols);
        var in = ByteBuffer.wrap(b, offset, b.length - offset).slice().order(ByteOrder.LITTLE_ENDIAN);
        if (ring == null) {
            float[] f = new float[n];
            in.asFloatBuffer().get(f);
            return new Rows.Floats(rows, cols, f);
        }
        long[] v = new long[n];
        if (ring == Ring.Z64) {
            in.asLongBuffer().get(v);
        } else {
            var ints = in.asIntBuffer();
            for (int i = 0; i < n; i++) v[i] = ints.get(i);
        }
        return new Rows.RingElements(ring, rows, cols, v);
    }

    /** {@code rows × cols} values of {@code ring} (null: FP32) from a JSON tensor's flat {@code data}. */
    public static Rows read(Ring ring, int rows, int cols, Json.Numbers data) {
        int n = Math.multiplyExact(rows, cols);
        if (data.size() != n) throw new IllegalArgumentException("tensor data has " + data.size() + " values, its shape " + n);
        if (ring == null) {
            float[] f = new float[n];
            for (int i = 0; i < n; i++) f[i] = (float) data.doubleAt(i);
            return new Rows.Floats(rows, cols, f);
        }
        long[] v = new long[n];
        for (int i = 0; i < n; i++) {
            long x = data.longAt(i);
            if (ring.wrap(x) != x) throw new IllegalArgumentException("INT32 tensor data holds " + x + ", outside 32 bits");
            v[i] = x;
        }
        return new Rows.RingElements(ring, rows, cols, v);
    }

    /** {@code rows}' values as a flat JSON array. */
    public static void json(Rows rows, StringBuilder out) {
        int n = rows.rows() * rows.cols();
        out.append('[');
        for (int i = 0; i < n; i++) {
            if (i > 0) out.append(',');
            switch (rows) {
                case Rows.Floats f -> appendFloat(out, f.data()[i]);
                case Rows.RingElements e -> out.append(e.data()[i]);
            }
        }
        out.append(']');
    }

    /** A float as JSON: NaN and the infinities, which JSON lacks, as the strings Triton writes ("nan", "inf", "-inf"). */
    public static void appendFloat(StringBuilder out, float v) {
        if (Float.isNaN(v)) out.append("\"nan\"");
        else if (Float.isInfinite(v)) out.append(v > 0 ? "\"inf\"" : "\"-inf\"");
        else out.append(v);
    }
}
