package dev.veil.onnx;

import dev.veil.protocol.oip.Oip;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Writes the graphs an export needs, {@code y = x·Wᵀ} in float or a ring, as ONNX model files: the few messages of
 * onnx.proto (ModelProto, GraphProto, NodeProto, AttributeProto, TensorProto, ValueInfoProto, TypeProto) encoded by
 * hand in protobuf's wire format ({@link Out}: varints, and length-delimited strings and messages), field numbers as
 * onnx.proto (IR version 8) gives them. The weight tensor's bytes are streamed straight to the file (a message's length
 * is known before its bytes), so a large matrix is never held twice. No generated code and no protobuf runtime in the
 * server's jar: a handful of fields does not need protoc at build time, and ONNX Runtime loading every export (tests)
 * checks the encoding.
 */
final class OnnxWriter {
    /** onnx.proto's TensorProto.DataType values used here. */
    static final int FLOAT = 1, UINT8 = 2, INT8 = 3, INT16 = 5, INT32 = 6, INT64 = 7, FLOAT16 = 10;
    /** Opset of the default domain: Cast and MatMul as they stand since opset 13. */
    static final int OPSET = 17;
    static final int IR_VERSION = 8;
    /** protobuf's limit on one message (ORT reads a model file as one). */
    static final long MAX_BYTES = Integer.MAX_VALUE;
    /** The graph's tensors, named as the node's OIP client asks for them (docs/oip.md): input [n, cols], output [n, rows]. */
    static final String X = Oip.INPUT, Y = Oip.OUTPUT;
    /** A ring model's second output: the row scales s_j, float32 [rows], a constant of the graph. */
    static final String SCALES = Oip.ROW_SCALES;

    /** Writes a tensor's raw little-endian bytes. */
    interface RawData {
        void writeTo(OutputStream out) throws IOException;
    }

    private OnnxWriter() {}

    /** One node: its operator, inputs, outputs and integer attributes. */
    record Node(String op, String[] inputs, String[] outputs, Map<String, Long> attributes) {
        static Node of(String op, String output, String... inputs) {
            return new Node(op, inputs, new String[] {output}, Map.of());
        }

        static Node cast(String input, String output, int to) {
            return new Node("Cast", new String[] {input}, new String[] {output}, Map.of("to", (long) to));
        }
    }

    /**
     * Writes {@code file}: input {@value #X} [n, cols] of {@code ioType}, the initializer {@code w} [cols, rows] of
     * {@code weightType} (raw bytes from {@code raw}, {@code rawBytes} of them), cast to {@code ioType} and multiplied:
     * output {@value #Y} [n, rows]; and {@code rowScales} as the output {@value #SCALES} unless null.
     */
    static void matmul(Path file, String graphName, int ioType, int weightType, int cols, int rows, long rawBytes, RawData raw,
            float[] rowScales) throws IOException {
        write(file, graphName, ioType, ioType, cols, rows, List.of(Node.cast("w", "w_cast", ioType), Node.of("MatMul", Y, X, "w_cast")),
                Map.of(), weightType, rawBytes, raw, rowScales);
    }

    /** Limb width of {@link #ringLimbs64}: 22 bits, three limbs cover 64. */
    static final int LIMB_BITS = 22;

    /**
     * Z_2^64 through float64: x (int64 [n, cols]) = a + b·2^22 + c·2^44 exactly, with 0 ≤ a, b &lt; 2^22 and |c| &lt; 2^20
     * (Mod and exact Div), the three limbs stacked as rows of one float64 MatMul against the int16 weights cast to
     * float64, each sum exact (|limb·w| &lt; 2^37, cols ≤ 2^16 of them: below 2^53), read back as int64 and recombined
     * with wrap-around: y = P_a + P_b·2^22 + P_c·2^44 mod 2^64. Bit for bit the int64 MatMul, on ONNX Runtime's float64
     * GEMM (MLAS) rather than its generic integer one.
     */
    static void ringLimbs64(Path file, String graphName, int cols, int rows, long rawBytes, RawData raw, float[] rowScales)
            throws IOException {
        if (cols > 1 << 16) throw new IllegalArgumentException(graphName + ": " + cols + " inputs are too many for exact float64 sums");
        int d = 11; // DOUBLE
        var fmod0 = Map.of("fmod", 0L);
        List<Node> nodes = List.of(
                new Node("Mod", new String[] {X, "k22"}, new String[] {"a"}, fmod0),
                Node.of("Sub", "xa", X, "a"),
                Node.of("Div", "q", "xa", "k22"),
                new Node("Mod", new String[] {"q", "k22"}, new String[] {"b"}, fmod0),
                Node.of("Sub", "qb", "q", "b"),
                Node.of("Div", "c", "qb", "k22"),
                new Node("Concat", new String[] {"a", "b", "c"}, new String[] {"limbs"}, Map.of("axis", 0L)),
                Node.cast("limbs", "limbs_f64", d),
                Node.cast("w", "w_f64", d),
                Node.of("MatMul", "p_f64", "limbs_f64", "w_f64"),
                Node.cast("p_f64", "p", INT64),
                new Node("Split", new String[] {"p"}, new String[] {"pa", "pb", "pc"}, Map.of("axis", 0L)),
                Node.of("Mul", "pb_shifted", "pb", "k22"),
                Node.of("Mul", "pc_shifted", "pc", "k44"),
                Node.of("Add", "ab", "pa", "pb_shifted"),
                Node.of("Add", Y, "ab", "pc_shifted"));
        write(file, graphName, INT64, INT64, cols, rows, nodes, Map.of("k22", 1L << LIMB_BITS, "k44", 1L << 2 * LIMB_BITS), INT16,
                rawBytes, raw, rowScales);
    }

    /**
     * Z_2^32 through float64: x (int32) and the int8 weights cast to float64, one MatMul (|x·w| &lt; 2^38, cols ≤ 2^15
     * of them: exact), read back as int64 and reduced to the signed representative, ((p + 2^31) mod 2^32) − 2^31, which
     * int32 holds. (Not a cast of p to int32: ONNX Runtime fuses float64 → int64 → int32 into one cast, which
     * saturates.)
     */
    static void ringFloat32(Path file, String graphName, int cols, int rows, long rawBytes, RawData raw, float[] rowScales)
            throws IOException {
        if (cols > 1 << 15) throw new IllegalArgumentException(graphName + ": " + cols + " inputs are too many for exact float64 sums");
        int d = 11;
        List<Node> nodes = List.of(Node.cast(X, "x_f64", d), Node.cast("w", "w_f64", d), Node.of("MatMul", "p_f64", "x_f64", "w_f64"),
                Node.cast("p_f64", "p", INT64), Node.of("Add", "p_up", "p", "k31"),
                new Node("Mod", new String[] {"p_up", "k32"}, new String[] {"p_mod"}, Map.of("fmod", 0L)),
                Node.of("Sub", "p_signed", "p_mod", "k31"), Node.cast("p_signed", Y, INT32));
        write(file, graphName, INT32, INT32, cols, rows, nodes, Map.of("k31", 1L << 31, "k32", 1L << 32), INT8, rawBytes, raw, rowScales);
    }

    /** Input limb width of {@link #ringBytes64} and {@link #ringBytes32}: 7 bits, so no u8×s8 pair sum can saturate int16. */
    static final int BYTE_LIMB_BITS = 7;

    /**
     * Z_2^64 through 8-bit integer products ({@code MatMulInteger}: u8 × s8, int32 sums), the graph for devices with no
     * integer MatMul and no fast float64 (ONNX Runtime's CUDA provider). x (int64) = Σ_i a_i·2^(7i) mod 2^64, ten limbs
     * 0 ≤ a_i ≤ 127 (Mod and exact Div, the last one x's top bit: 2^63·(q mod 2) ≡ 2^63·q); the int16 weights in three s8
     * limbs w = w_0 + 2^7·w_1 + 2^14·w_2 (0 ≤ w_0, w_1 ≤ 127, −2 ≤ w_2 ≤ 1), laid side by side as one [cols, 3·rows]
     * matrix. One MatMulInteger of the 10n limb rows against it; each product is at most 127·127, so a pair of them (the
     * u8×s8 kernels of x86 CPUs without VNNI add pairs in saturating int16) stays below 2^15, and cols ≤ 2^16 of them stay
     * below 2^31 in the int32 sums. Then each sum times 2^(7i+7j) mod 2^64 (zero past 2^63), summed with wrap-around.
     */
    static void ringBytes64(Path file, String graphName, int cols, int rows, long rawBytes, RawData raw, float[] rowScales)
            throws IOException {
        if (cols > 1 << 16) throw new IllegalArgumentException(graphName + ": " + cols + " inputs are too many for exact int32 sums");
        int limbs = (64 + BYTE_LIMB_BITS - 1) / BYTE_LIMB_BITS; // 10
        long[] scales = new long[limbs * 3];
        for (int i = 0; i < limbs; i++) {
            for (int j = 0; j < 3; j++) {
                int shift = BYTE_LIMB_BITS * (i + j);
                scales[3 * i + j] = shift >= 64 ? 0 : 1L << shift; // 2^63 is Long.MIN_VALUE: the same element of the ring
            }
        }
        write(file, graphName, INT64, INT64, cols, 3 * rows, limbNodes(X, limbs, 64, 3, rows), Map.of("k7", 1L << BYTE_LIMB_BITS,
                "k_top", 2L), Map.of("limb_shape", new long[] {limbs, -1, 3, rows}, "limb_scales", scales, "limb_axes", new long[] {0, 2},
                "scales_shape", new long[] {limbs, 1, 3, 1}), INT8, rawBytes, raw, rows, rowScales);
    }

    /**
     * Z_2^32 through MatMulInteger as {@link #ringBytes64}: x (int32, widened to int64) in five limbs of 7 bits (the last
     * one 4 bits: 2^28·(q mod 16) ≡ 2^28·q mod 2^32), the int8 weights (|w| ≤ 127) as one s8 limb; the sums times 2^(7i),
     * added in int64, then reduced to the signed representative as {@link #ringFloat32} does.
     */
    static void ringBytes32(Path file, String graphName, int cols, int rows, long rawBytes, RawData raw, float[] rowScales)
            throws IOException {
        if (cols > 1 << 16) throw new IllegalArgumentException(graphName + ": " + cols + " inputs are too many for exact int32 sums");
        int limbs = (32 + BYTE_LIMB_BITS - 1) / BYTE_LIMB_BITS; // 5
        long[] scales = new long[limbs];
        for (int i = 0; i < limbs; i++) scales[i] = 1L << BYTE_LIMB_BITS * i;
        List<Node> nodes = new java.util.ArrayList<>(List.of(Node.cast(X, "x64", INT64)));
        nodes.addAll(limbNodes("x64", limbs, 32, 1, rows));
        nodes.addAll(List.of(Node.of("Add", "p_up", "p", "k31"), new Node("Mod", new String[] {"p_up", "k32"}, new String[] {"p_mod"},
                Map.of("fmod", 0L)), Node.of("Sub", "p_signed", "p_mod", "k31"), Node.cast("p_signed", Y, INT32)));
        write(file, graphName, INT32, INT32, cols, rows, nodes, Map.of("k7", 1L << BYTE_LIMB_BITS, "k_top", 16L, "k31", 1L << 31,
                "k32", 1L << 32), Map.of("limb_shape", new long[] {limbs, -1, rows}, "limb_scales", scales, "limb_axes", new long[] {0},
                "scales_shape", new long[] {limbs, 1, 1}), INT8, rawBytes, raw, rows, rowScales);
    }

    /**
     * The nodes from {@code x} (int64) to {@code p} (int64 [n, rows]; or the output when {@code bits} is 64): {@code limbs}
     * 7-bit limbs of x (the last one {@code k_top} wide) stacked as rows, one MatMulInteger against w ({@code parts} s8
     * limb matrices side by side), and the sums scaled by {@code limb_scales} and added over limbs and parts.
     */
    private static List<Node> limbNodes(String x, int limbs, int bits, int parts, int rows) {
        var fmod0 = Map.of("fmod", 0L);
        List<Node> nodes = new java.util.ArrayList<>();
        String rest = x;
        String[] limb = new String[limbs];
        for (int i = 0; i < limbs; i++) {
            limb[i] = "a" + i;
            boolean last = i == limbs - 1;
            nodes.add(new Node("Mod", new String[] {rest, last ? "k_top" : "k7"}, new String[] {limb[i]}, fmod0));
            if (last) break;
            nodes.add(Node.of("Sub", "r" + i + "_low", rest, limb[i]));
            nodes.add(Node.of("Div", "r" + (i + 1), "r" + i + "_low", "k7"));
            rest = "r" + (i + 1);
        }
        nodes.add(new Node("Concat", limb, new String[] {"limbs"}, Map.of("axis", 0L)));
        nodes.add(Node.cast("limbs", "limbs_u8", UINT8));
        nodes.add(Node.of("MatMulInteger", "p32", "limbs_u8", "w"));
        nodes.add(Node.cast("p32", "p64", INT64));
        nodes.add(Node.of("Reshape", "p_limbs", "p64", "limb_shape"));
        nodes.add(Node.of("Reshape", "scales_limbs", "limb_scales", "scales_shape"));
        nodes.add(Node.of("Mul", "p_scaled", "p_limbs", "scales_limbs"));
        nodes.add(new Node("ReduceSum", new String[] {"p_scaled", "limb_axes"}, new String[] {bits == 64 ? Y : "p"},
                Map.of("keepdims", 0L)));
        return nodes;
    }

    /**
     * The model file: {@code nodes} from x [n, cols] to y [n, rows], int64 scalar {@code constants}, and the weights w [cols, rows];
     * with {@code rowScales} (unless null) the second output {@value #SCALES}, float32 [rows], an Identity of a constant.
     */
    static void write(Path file, String graphName, int xType, int yType, int cols, int rows, List<Node> nodes, Map<String, Long> constants,
            int weightType, long rawBytes, RawData raw, float[] rowScales) throws IOException {
        write(file, graphName, xType, yType, cols, rows, nodes, constants, Map.of(), weightType, rawBytes, raw, rows, rowScales);
    }

    /** As above, with int64 vector {@code vectors}, the weights w [cols, wRows] and the output y [n, rows]. */
    private static void write(Path file, String graphName, int xType, int yType, int cols, int wRows, List<Node> nodes,
            Map<String, Long> constants, Map<String, long[]> vectors, int weightType, long rawBytes, RawData raw, int rows,
            float[] rowScales) throws IOException {
        if (rowScales != null && rowScales.length != rows) {
            throw new IllegalArgumentException(graphName + ": " + rowScales.length + " row scales for " + rows + " rows");
        }
        byte[] tensorHeader = message(o -> {
            o.writeInt64(1, cols); // dims
            o.writeInt64(1, wRows);
            o.writeInt32(2, weightType); // data_type
            o.writeString(8, "w"); // name
        });
        long tensorLength = tensorHeader.length + Out.tagSize(9) + Out.varintSize(rawBytes) + rawBytes;
        byte[] graphHead = message(o -> {
            for (Node n : nodes) o.writeByteArray(1, node(n)); // node
            if (rowScales != null) o.writeByteArray(1, node(Node.of("Identity", SCALES, "scales")));
            o.writeString(2, graphName); // name
            for (var c : new java.util.TreeMap<>(constants).entrySet()) {
                long v = c.getValue();
                byte[] le = new byte[8];
                for (int i = 0; i < 8; i++) le[i] = (byte) (v >>> 8 * i);
                o.writeByteArray(5, message(t -> { // initializer: a scalar (no dims)
                    t.writeInt32(2, INT64);
                    t.writeString(8, c.getKey());
                    t.writeByteArray(9, le);
                }));
            }
            for (var v : new java.util.TreeMap<>(vectors).entrySet()) {
                long[] values = v.getValue();
                byte[] le = new byte[8 * values.length];
                for (int k = 0; k < le.length; k++) le[k] = (byte) (values[k / 8] >>> 8 * (k % 8));
                o.writeByteArray(5, message(t -> { // initializer: an int64 vector
                    t.writeInt64(1, values.length);
                    t.writeInt32(2, INT64);
                    t.writeString(8, v.getKey());
                    t.writeByteArray(9, le);
                }));
            }
            if (rowScales != null) {
                var le = java.nio.ByteBuffer.allocate(4 * rows).order(java.nio.ByteOrder.LITTLE_ENDIAN);
                le.asFloatBuffer().put(rowScales);
                o.writeByteArray(5, message(t -> { // initializer: float32 [rows]
                    t.writeInt64(1, rows);
                    t.writeInt32(2, FLOAT);
                    t.writeString(8, "scales");
                    t.writeByteArray(9, le.array());
                }));
            }
            o.writeByteArray(11, valueInfo(X, xType, true, cols)); // input
            o.writeByteArray(12, valueInfo(Y, yType, true, rows)); // output
            if (rowScales != null) o.writeByteArray(12, valueInfo(SCALES, FLOAT, false, rows));
        });
        long graphLength = graphHead.length + Out.tagSize(5) + Out.varintSize(tensorLength) + tensorLength;
        byte[] modelHead = message(o -> {
            o.writeInt64(1, IR_VERSION); // ir_version
            o.writeString(2, "veil"); // producer_name
            o.writeByteArray(8, message(op -> { // opset_import
                op.writeString(1, "");
                op.writeInt64(2, OPSET);
            }));
        });
        long total = modelHead.length + Out.tagSize(7) + Out.varintSize(graphLength) + graphLength;
        if (total > MAX_BYTES) {
            throw new IllegalArgumentException(graphName + " would take " + total + " bytes, over protobuf's 2 GiB limit on one ONNX file");
        }
        try (OutputStream file0 = new BufferedOutputStream(Files.newOutputStream(file), 1 << 20)) {
            Out o = new Out(file0);
            file0.write(modelHead);
            o.lengthTag(7, graphLength); // graph
            file0.write(graphHead);
            o.lengthTag(5, tensorLength); // initializer
            file0.write(tensorHeader);
            o.lengthTag(9, rawBytes); // raw_data
            var counted = new CountingStream(file0);
            raw.writeTo(counted);
            if (counted.count != rawBytes) {
                throw new IllegalStateException("wrote " + counted.count + " weight bytes, announced " + rawBytes);
            }
        }
    }

    /** A NodeProto, named after its first output. */
    private static byte[] node(Node n) throws IOException {
        return message(o -> {
            for (String in : n.inputs()) o.writeString(1, in); // input
            for (String out : n.outputs()) o.writeString(2, out); // output
            o.writeString(3, n.outputs()[0]); // name
            o.writeString(4, n.op()); // op_type
            for (var a : new java.util.TreeMap<>(n.attributes()).entrySet()) {
                o.writeByteArray(5, message(at -> { // attribute
                    at.writeString(1, a.getKey()); // name
                    at.writeInt64(3, a.getValue()); // i
                    at.writeInt32(20, 2); // type: INT
                }));
            }
        });
    }

    /** A ValueInfoProto of a tensor [n, width] ({@code rows}: n symbolic, the rows of a call) or [width], width fixed. */
    private static byte[] valueInfo(String name, int elemType, boolean rows, int width) throws IOException {
        byte[] shape = message(s -> {
            if (rows) s.writeByteArray(1, message(d -> d.writeString(2, "n"))); // dim { dim_param }
            s.writeByteArray(1, message(d -> d.writeInt64(1, width))); // dim { dim_value }
        });
        byte[] tensor = message(t -> {
            t.writeInt32(1, elemType); // elem_type
            t.writeByteArray(2, shape); // shape
        });
        return message(v -> {
            v.writeString(1, name); // name
            v.writeByteArray(2, message(t -> t.writeByteArray(1, tensor))); // type { tensor_type }
        });
    }

    private interface Fields {
        void write(Out o) throws IOException;
    }

    private static byte[] message(Fields fields) throws IOException {
        var bytes = new ByteArrayOutputStream();
        fields.write(new Out(bytes));
        return bytes.toByteArray();
    }

    /** protobuf's wire format, the part ONNX's messages use: varint fields (wire type 0) and length-delimited ones (2). */
    static final class Out {
        private final OutputStream out;

        Out(OutputStream out) {
            this.out = out;
        }

        /** A tag's bytes. */
        static int tagSize(int field) {
            return varintSize(field << 3);
        }

        static int varintSize(long v) {
            int n = 1;
            while ((v & ~0x7FL) != 0) {
                v >>>= 7;
                n++;
            }
            return n;
        }

        void varint(long v) throws IOException {
            while ((v & ~0x7FL) != 0) {
                out.write((int) (v & 0x7F) | 0x80);
                v >>>= 7;
            }
            out.write((int) v);
        }

        private void tag(int field, int wireType) throws IOException {
            varint(field << 3 | wireType);
        }

        void writeInt64(int field, long v) throws IOException {
            tag(field, 0);
            varint(v);
        }

        void writeInt32(int field, int v) throws IOException {
            writeInt64(field, v); // protobuf sign-extends an int32 to 64 bits on the wire
        }

        void lengthTag(int field, long length) throws IOException {
            tag(field, 2);
            varint(length);
        }

        void writeByteArray(int field, byte[] bytes) throws IOException {
            lengthTag(field, bytes.length);
            out.write(bytes);
        }

        void writeString(int field, String s) throws IOException {
            writeByteArray(field, s.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
    }

    private static final class CountingStream extends OutputStream {
        private final OutputStream out;
        long count;

        CountingStream(OutputStream out) {
            this.out = out;
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
            count += len;
        }

        @Override
        public void close() {
            throw new UncheckedIOException(new IOException("the weight data may not close the model file"));
        }
    }
}
