package dev.veil.onnx;

import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes the one graph an export needs, {@code y = MatMul(x, Cast(w))}, as an ONNX model file: the few messages of
 * onnx.proto (ModelProto, GraphProto, NodeProto, AttributeProto, TensorProto, ValueInfoProto, TypeProto) encoded by
 * hand in protobuf's wire format ({@link Out}: varints, and length-delimited strings and messages), field numbers as
 * onnx.proto (IR version 8) gives them. The weight tensor's bytes are streamed straight to the file (a message's length
 * is known before its bytes), so a large matrix is never held twice. No generated code and no protobuf runtime in the
 * server's jar: a handful of fields does not need protoc at build time, and ONNX Runtime loading every export (tests)
 * checks the encoding.
 */
final class OnnxWriter {
    /** onnx.proto's TensorProto.DataType values used here. */
    static final int FLOAT = 1, INT8 = 3, INT16 = 5, INT32 = 6, INT64 = 7, FLOAT16 = 10;
    /** Opset of the default domain: Cast and MatMul as they stand since opset 13. */
    static final int OPSET = 17;
    static final int IR_VERSION = 8;
    /** protobuf's limit on one message (ORT reads a model file as one). */
    static final long MAX_BYTES = Integer.MAX_VALUE;

    /** Writes a tensor's raw little-endian bytes. */
    interface RawData {
        void writeTo(OutputStream out) throws IOException;
    }

    private OnnxWriter() {}

    /**
     * Writes {@code file}: input {@code x} [n, cols] of {@code ioType}, the initializer {@code w} [cols, rows] of
     * {@code weightType} (raw bytes from {@code raw}, {@code rawBytes} of them), cast to {@code ioType} and multiplied:
     * output {@code y} [n, rows].
     */
    static void matmul(Path file, String graphName, int ioType, int weightType, int cols, int rows, long rawBytes, RawData raw)
            throws IOException {
        byte[] tensorHeader = message(o -> {
            o.writeInt64(1, cols); // dims
            o.writeInt64(1, rows);
            o.writeInt32(2, weightType); // data_type
            o.writeString(8, "w"); // name
        });
        long tensorLength = tensorHeader.length + Out.tagSize(9) + Out.varintSize(rawBytes)
                + rawBytes;
        byte[] graphHead = message(o -> {
            o.writeByteArray(1, node("cast_w", "Cast", new String[] {"w"}, "w_cast", ioType)); // node
            o.writeByteArray(1, node("matmul", "MatMul", new String[] {"x", "w_cast"}, "y", -1));
            o.writeString(2, graphName); // name
            o.writeByteArray(11, valueInfo("x", ioType, cols)); // input
            o.writeByteArray(12, valueInfo("y", ioType, rows)); // output
        });
        long graphLength = graphHead.length + Out.tagSize(5) + Out.varintSize(tensorLength)
                + tensorLength;
        byte[] modelHead = message(o -> {
            o.writeInt64(1, IR_VERSION); // ir_version
            o.writeString(2, "veil"); // producer_name
            o.writeByteArray(8, message(op -> { // opset_import
                op.writeString(1, "");
                op.writeInt64(2, OPSET);
            }));
        });
        long total = modelHead.length + Out.tagSize(7) + Out.varintSize(graphLength)
                + graphLength;
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

    /** A NodeProto; {@code castTo} ≥ 0 adds Cast's attribute {@code to}. */
    private static byte[] node(String name, String op, String[] inputs, String output, int castTo) throws IOException {
        return message(o -> {
            for (String in : inputs) o.writeString(1, in); // input
            o.writeString(2, output); // output
            o.writeString(3, name); // name
            o.writeString(4, op); // op_type
            if (castTo >= 0) {
                o.writeByteArray(5, message(a -> { // attribute
                    a.writeString(1, "to"); // name
                    a.writeInt64(3, castTo); // i
                    a.writeInt32(20, 2); // type: INT
                }));
            }
        });
    }

    /** A ValueInfoProto of a tensor [n, width]: n symbolic (the rows of a call), width fixed. */
    private static byte[] valueInfo(String name, int elemType, int width) throws IOException {
        byte[] shape = message(s -> {
            s.writeByteArray(1, message(d -> d.writeString(2, "n"))); // dim { dim_param }
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
