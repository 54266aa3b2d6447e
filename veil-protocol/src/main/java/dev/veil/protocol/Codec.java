package dev.veil.protocol;

import dev.veil.engine.inference.Projection;
import dev.veil.engine.ring.Ring;
import dev.veil.engine.ring.RingStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/** Binary payloads of {@link Message}s, little-endian, as PROTOCOL.md lays them out. */
public final class Codec {
    public static final int HELLO = 1, WELCOME = 2, SETUP = 3, SETUP_REPLY = 4, LINEAR = 5, LINEAR_REPLY = 6, ERROR = 7;
    public static final int DECODE = 8, DECODE_REPLY = 9, END_SESSION = 10, SESSION_ENDED = 11;
    public static final int CHALLENGE = 12, NONCE = 13, EVIDENCE = 14, ATTESTED = 15;
    /** Version 2. */
    public static final int SEEDED_LINEAR = 16;
    /** The largest byte string of attestation (a report, a certificate chain). */
    static final int MAX_BYTES = 1 << 16;
    static final int F32 = 1, Z32 = 2, Z64 = 3;
    private static final int MAX_STRING = 4096;

    private Codec() {}

    private static final String[] NAMES = {"", "HELLO", "WELCOME", "SETUP", "SETUP_REPLY", "LINEAR", "LINEAR_REPLY", "ERROR", "DECODE",
        "DECODE_REPLY", "END_SESSION", "SESSION_ENDED", "CHALLENGE", "NONCE", "EVIDENCE", "ATTESTED", "SEEDED_LINEAR"};

    /** The message type's name in PROTOCOL.md, or its number when there is none. */
    public static String name(int type) {
        return type > 0 && type < NAMES.length ? NAMES[type] : String.valueOf(type);
    }

    public static int type(Message m) {
        return switch (m) {
            case Message.Hello h -> HELLO;
            case Message.Welcome w -> WELCOME;
            case Message.Setup s -> SETUP;
            case Message.SetupReply s -> SETUP_REPLY;
            case Message.Linear l -> LINEAR;
            case Message.SeededLinear l -> SEEDED_LINEAR;
            case Message.LinearReply l -> LINEAR_REPLY;
            case Message.Error e -> ERROR;
            case Message.Decode d -> DECODE;
            case Message.DecodeReply d -> DECODE_REPLY;
            case Message.EndSession e -> END_SESSION;
            case Message.SessionEnded e -> SESSION_ENDED;
            case Message.Challenge c -> CHALLENGE;
            case Message.Nonce n -> NONCE;
            case Message.Evidence e -> EVIDENCE;
            case Message.Attested a -> ATTESTED;
        };
    }

    /** Payload bytes of {@code m} once encoded, without encoding it (for per-session traffic counts). */
    public static long size(Message m) {
        return switch (m) {
            case Message.Hello h -> stringSize(h.modelId());
            case Message.Welcome w -> stringSize(w.modelId()) + 7 * 4 + 4;
            case Message.Setup s -> 5 + rowsSize(s.base());
            case Message.SetupReply s -> rowsSize(s.restoration()) + 4 + 4L * s.rowScales().length;
            case Message.Linear l -> 5 + rowsSize(l.input());
            case Message.SeededLinear l -> 5 + 9 + RingStream.SEED_BYTES;
            case Message.LinearReply l -> 8 + rowsSize(l.output());
            case Message.Error e -> 2 + stringSize(e.text());
            case Message.Decode d -> 12 + rowsSize(d.hidden());
            case Message.DecodeReply d -> 8 + rowsSize(d.hidden());
            case Message.EndSession e -> 8;
            case Message.SessionEnded e -> 8;
            case Message.Challenge c -> 0;
            case Message.Nonce n -> bytesSize(n.nonce());
            case Message.Evidence e -> stringSize(e.kind()) + bytesSize(e.report()) + bytesSize(e.certificates());
            case Message.Attested a -> stringSize(a.summary());
        };
    }

    public static byte[] encode(Message m) {
        long size = size(m);
        if (size > Integer.MAX_VALUE - Frame.HEADER_BYTES) throw new ProtocolException(ErrorCode.TOO_LARGE, "message of " + size + " bytes is too large");
        ByteBuffer b = ByteBuffer.allocate((int) size).order(ByteOrder.LITTLE_ENDIAN);
        switch (m) {
            case Message.Hello h -> putString(b, h.modelId());
            case Message.Welcome w -> {
                putString(b, w.modelId());
                var s = w.shape();
                for (int v : new int[] {s.dim(), s.hiddenDim(), s.layers(), s.heads(), s.kvHeads(), s.headDim(), s.vocabSize()}) b.putInt(v);
                b.putInt(w.maxFrameBytes());
            }
            case Message.Setup s -> {
                putMatrix(b, s.matrix());
                putRows(b, s.base());
            }
            case Message.SetupReply s -> {
                putRows(b, s.restoration());
                b.putInt(s.rowScales().length);
                b.asFloatBuffer().put(s.rowScales());
                b.position(b.position() + 4 * s.rowScales().length);
            }
            case Message.Linear l -> {
                putMatrix(b, l.matrix());
                putRows(b, l.input());
            }
            case Message.SeededLinear l -> {
                putMatrix(b, l.matrix());
                b.put((byte) (l.ring() == Ring.Z32 ? Z32 : Z64)).putInt(l.rows()).putInt(l.cols()).put(l.seed());
            }
            case Message.LinearReply l -> {
                b.putLong(l.serverNanos());
                putRows(b, l.output());
            }
            case Message.Error e -> {
                b.putShort((short) e.code().code);
                putString(b, e.text());
            }
            case Message.Decode d -> {
                b.putLong(d.session()).putInt(d.position());
                putRows(b, d.hidden());
            }
            case Message.DecodeReply d -> {
                b.putLong(d.serverNanos());
                putRows(b, d.hidden());
            }
            case Message.EndSession e -> b.putLong(e.session());
            case Message.SessionEnded e -> b.putLong(e.session());
            case Message.Challenge c -> { }
            case Message.Nonce n -> putBytes(b, n.nonce());
            case Message.Evidence e -> {
                putString(b, e.kind());
                putBytes(b, e.report());
                putBytes(b, e.certificates());
            }
            case Message.Attested a -> putString(b, a.summary());
        }
        return b.array();
    }

    /**
     * Writes {@code m}'s payload (exactly {@link #size} bytes) to {@code out} without building it whole: the values of
     * a reply's rows go out in 64 KiB pieces, so a queued reply is held once (its rows), not twice.
     */
    public static void write(Message m, OutputStream out) throws IOException {
        switch (m) {
            case Message.LinearReply l -> {
                out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(l.serverNanos()).array());
                writeRows(l.output(), out);
            }
            case Message.DecodeReply d -> {
                out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(d.serverNanos()).array());
                writeRows(d.hidden(), out);
            }
            case Message.SetupReply s -> {
                writeRows(s.restoration(), out);
                var b = ByteBuffer.allocate(4 + 4 * s.rowScales().length).order(ByteOrder.LITTLE_ENDIAN).putInt(s.rowScales().length);
                for (float f : s.rowScales()) b.putFloat(f);
                out.write(b.array());
            }
            default -> out.write(encode(m));
        }
    }

    /** Whether {@link #write} streams {@code m}'s values rather than encoding it whole. */
    public static boolean streamed(Message m) {
        return m instanceof Message.LinearReply || m instanceof Message.DecodeReply || m instanceof Message.SetupReply;
    }

    private static void writeRows(Rows r, OutputStream out) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
        int count = r.rows() * r.cols();
        switch (r) {
            case Rows.Floats f -> {
                b.put((byte) F32).putInt(f.rows()).putInt(f.cols());
                for (int i = 0; i < count; i++) {
                    if (b.remaining() < 4) flush(b, out);
                    b.putFloat(f.data()[i]);
                }
            }
            case Rows.RingElements e -> {
                boolean wide = e.ring() == Ring.Z64;
                b.put((byte) (wide ? Z64 : Z32)).putInt(e.rows()).putInt(e.cols());
                for (int i = 0; i < count; i++) {
                    if (b.remaining() < 8) flush(b, out);
                    if (wide) b.putLong(e.data()[i]);
                    else b.putInt((int) e.data()[i]);
                }
            }
        }
        flush(b, out);
    }

    private static void flush(ByteBuffer b, OutputStream out) throws IOException {
        out.write(b.array(), 0, b.position());
        b.clear();
    }

    /** Decodes a payload of the given type; a malformed one is a {@link ProtocolException} (BAD_FRAME). */
    public static Message decode(int type, byte[] payload) {
        ByteBuffer b = ByteBuffer.wrap(payload).order(ByteOrder.LITTLE_ENDIAN);
        try {
            Message m = switch (type) {
                case HELLO -> new Message.Hello(getString(b));
                case WELCOME -> new Message.Welcome(getString(b),
                        new ModelDims(b.getInt(), b.getInt(), b.getInt(), b.getInt(), b.getInt(), b.getInt(), b.getInt()), b.getInt());
                case SETUP -> new Message.Setup(getMatrix(b), getRows(b));
                case SETUP_REPLY -> {
                    Rows r = getRows(b);
                    int count = b.getInt();
                    if (count < 0 || count > b.remaining() / 4) throw bad("row scale count " + count);
                    float[] scales = new float[count];
                    b.asFloatBuffer().get(scales);
                    b.position(b.position() + 4 * count);
                    yield new Message.SetupReply(r, scales);
                }
                case LINEAR -> new Message.Linear(getMatrix(b), getRows(b));
                case SEEDED_LINEAR -> {
                    MatrixId id = getMatrix(b);
                    int element = b.get(), rows = b.getInt(), cols = b.getInt();
                    if (element != Z32 && element != Z64) throw bad("a seeded block over element type " + element + " (only rings: 2, 3)");
                    byte[] seed = new byte[RingStream.SEED_BYTES];
                    b.get(seed);
                    yield new Message.SeededLinear(id, element == Z32 ? Ring.Z32 : Ring.Z64, rows, cols, seed);
                }
                case LINEAR_REPLY -> {
                    long nanos = b.getLong();
                    yield new Message.LinearReply(getRows(b), nanos);
                }
                case ERROR -> new Message.Error(ErrorCode.of(b.getShort()), getString(b));
                case DECODE -> {
                    long session = b.getLong();
                    int position = b.getInt();
                    if (position < 0) throw bad("negative position " + position);
                    yield new Message.Decode(session, position, getRows(b));
                }
                case DECODE_REPLY -> {
                    long nanos = b.getLong();
                    yield new Message.DecodeReply(getRows(b), nanos);
                }
                case END_SESSION -> new Message.EndSession(b.getLong());
                case SESSION_ENDED -> new Message.SessionEnded(b.getLong());
                case CHALLENGE -> new Message.Challenge();
                case NONCE -> new Message.Nonce(getBytes(b));
                case EVIDENCE -> new Message.Evidence(getString(b), getBytes(b), getBytes(b));
                case ATTESTED -> new Message.Attested(getString(b));
                default -> throw bad("unknown message type " + type);
            };
            if (b.hasRemaining()) throw bad(b.remaining() + " trailing bytes after a message of type " + type);
            return m;
        } catch (BufferUnderflowException e) {
            throw bad("message of type " + type + " is truncated (" + payload.length + " bytes)");
        } catch (IllegalArgumentException e) {
            throw bad(e.getMessage());
        }
    }

    private static ProtocolException bad(String why) {
        return new ProtocolException(ErrorCode.BAD_FRAME, "malformed message: " + why);
    }

    private static long stringSize(String s) {
        return 2 + s.getBytes(StandardCharsets.UTF_8).length;
    }

    private static void putString(ByteBuffer b, String s) {
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        if (bytes.length > MAX_STRING) throw new IllegalArgumentException("string of " + bytes.length + " bytes is too long");
        b.putShort((short) bytes.length);
        b.put(bytes);
    }

    private static String getString(ByteBuffer b) {
        int len = Short.toUnsignedInt(b.getShort());
        if (len > MAX_STRING) throw bad("string of " + len + " bytes");
        byte[] bytes = new byte[len];
        b.get(bytes);
        try { // strict: a malformed string is refused, not silently replaced (fuzzing found the lossy decode)
            return StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes)).toString();
        } catch (java.nio.charset.CharacterCodingException e) {
            throw bad("a string that is not UTF-8");
        }
    }

    private static long bytesSize(byte[] bytes) {
        return 4 + bytes.length;
    }

    private static void putBytes(ByteBuffer b, byte[] bytes) {
        if (bytes.length > MAX_BYTES) throw new IllegalArgumentException("byte string of " + bytes.length + " bytes is too long");
        b.putInt(bytes.length).put(bytes);
    }

    private static byte[] getBytes(ByteBuffer b) {
        int len = b.getInt();
        if (len < 0 || len > MAX_BYTES || len > b.remaining()) throw bad("byte string of " + Integer.toUnsignedString(len) + " bytes");
        byte[] bytes = new byte[len];
        b.get(bytes);
        return bytes;
    }

    private static void putMatrix(ByteBuffer b, MatrixId id) {
        b.put((byte) id.projection().ordinal());
        b.putInt(id.layer());
    }

    private static MatrixId getMatrix(ByteBuffer b) {
        int p = b.get();
        int layer = b.getInt();
        if (p < 0 || p >= Projection.values().length) throw bad("unknown projection " + p);
        return new MatrixId(Projection.values()[p], layer);
    }

    private static long rowsSize(Rows r) {
        return 9 + r.dataBytes();
    }

    private static void putRows(ByteBuffer b, Rows r) {
        int count = r.rows() * r.cols();
        switch (r) {
            case Rows.Floats f -> {
                b.put((byte) F32).putInt(f.rows()).putInt(f.cols());
                b.asFloatBuffer().put(f.data(), 0, count);
                b.position(b.position() + 4 * count);
            }
            case Rows.RingElements e -> {
                b.put((byte) (e.ring() == Ring.Z32 ? Z32 : Z64)).putInt(e.rows()).putInt(e.cols());
                if (e.ring() == Ring.Z64) {
                    b.asLongBuffer().put(e.data(), 0, count);
                    b.position(b.position() + 8 * count);
                } else {
                    for (int i = 0; i < count; i++) b.putInt((int) e.data()[i]);
                }
            }
        }
    }

    private static Rows getRows(ByteBuffer b) {
        int type = b.get(), rows = b.getInt(), cols = b.getInt();
        int bytes = switch (type) {
            case F32, Z32 -> 4;
            case Z64 -> 8;
            default -> throw bad("unknown element type " + type);
        };
        // rows·cols < 2^62 cannot overflow a long; rows·cols·bytes could (fuzzing found a block that passed this check)
        if (rows < 0 || cols < 0 || (long) rows * cols > b.remaining() / bytes) {
            throw bad("a " + rows + "x" + cols + " block does not fit in " + b.remaining() + " bytes");
        }
        int count = rows * cols;
        switch (type) {
            case F32 -> {
                float[] d = new float[count];
                b.asFloatBuffer().get(d);
                b.position(b.position() + 4 * count);
                return new Rows.Floats(rows, cols, d);
            }
            case Z32 -> {
                long[] d = new long[count];
                for (int i = 0; i < count; i++) d[i] = b.getInt();
                return new Rows.RingElements(Ring.Z32, rows, cols, d);
            }
            default -> {
                long[] d = new long[count];
                b.asLongBuffer().get(d);
                b.position(b.position() + 8 * count);
                return new Rows.RingElements(Ring.Z64, rows, cols, d);
            }
        }
    }
}
