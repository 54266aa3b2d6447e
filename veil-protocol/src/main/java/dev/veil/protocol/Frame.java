package dev.veil.protocol;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * One frame on a connection: a 12-byte header (magic "VL", version, message type, request id, payload length;
 * little-endian) and the payload. Replies carry their request's id, so calls can be in flight concurrently.
 */
public record Frame(int type, int requestId, byte[] payload) {
    public static final int HEADER_BYTES = 12;
    public static final int VERSION = 2;
    public static final int DEFAULT_MAX_PAYLOAD = 256 << 20;
    private static final byte MAGIC0 = 'V', MAGIC1 = 'L';

    public static Frame of(int requestId, Message m) {
        return new Frame(Codec.type(m), requestId, Codec.encode(m));
    }

    public Message message() {
        return Codec.decode(type, payload);
    }

    /** Bytes on the wire. */
    public long size() {
        return HEADER_BYTES + payload.length;
    }

    public void write(OutputStream out) throws IOException {
        byte[] h = new byte[HEADER_BYTES];
        ByteBuffer.wrap(h).order(ByteOrder.LITTLE_ENDIAN)
                .put(MAGIC0).put(MAGIC1).put((byte) VERSION).put((byte) type).putInt(requestId).putInt(payload.length);
        out.write(h);
        out.write(payload);
        out.flush();
    }

    /** Writes {@code m} as a frame, its payload streamed from its values ({@link Codec#write}), not encoded whole first. */
    public static void write(OutputStream out, int requestId, Message m) throws IOException {
        long size = Codec.size(m);
        if (size > Integer.MAX_VALUE - HEADER_BYTES) throw new ProtocolException(ErrorCode.TOO_LARGE, "message of " + size + " bytes is too large");
        byte[] h = new byte[HEADER_BYTES];
        ByteBuffer.wrap(h).order(ByteOrder.LITTLE_ENDIAN)
                .put(MAGIC0).put(MAGIC1).put((byte) VERSION).put((byte) Codec.type(m)).putInt(requestId).putInt((int) size);
        out.write(h);
        Codec.write(m, out);
        out.flush();
    }

    /**
     * Reads the next frame; null when the peer closed the connection between frames. A peer may stay idle
     * between frames as long as it likes, but a frame it has begun must arrive within the socket's read
     * timeout. A bad magic, another version or a payload over {@code maxPayload} bytes is a
     * {@link ProtocolException}; after one the stream cannot be trusted and should be closed.
     */
    public static Frame read(InputStream in, int maxPayload) throws IOException {
        byte[] h = new byte[HEADER_BYTES];
        if (!readFully(in, h, true)) return null;
        Header header = header(h);
        if (header.length() > maxPayload) {
            throw new ProtocolException(ErrorCode.TOO_LARGE, "frame of " + header.length() + " bytes exceeds the limit of " + maxPayload);
        }
        return new Frame(header.type(), header.requestId(), readPayload(in, (int) header.length(), timedOut -> {
            if (timedOut) throw new ProtocolException(ErrorCode.TIMEOUT, "peer stalled inside a frame");
        }));
    }

    /** A frame's header: its type, request id and payload length (u32). */
    public record Header(int type, int requestId, long length) {}

    /** Parses a 12-byte header; a bad magic or another version is a {@link ProtocolException}. */
    public static Header header(byte[] h) {
        ByteBuffer b = ByteBuffer.wrap(h).order(ByteOrder.LITTLE_ENDIAN);
        if (b.get() != MAGIC0 || b.get() != MAGIC1) throw new ProtocolException(ErrorCode.BAD_FRAME, "not a Veil frame (bad magic)");
        int version = b.get();
        if (version != VERSION) {
            throw new ProtocolException(ErrorCode.UNSUPPORTED_VERSION, "protocol version " + version + " is not supported (this side speaks " + VERSION
                    + "; node and weights servers must run the same Veil release)");
        }
        int type = b.get(), id = b.getInt(), length = b.getInt();
        return new Header(type, id, Integer.toUnsignedLong(length));
    }

    /** Called after every read of a payload and every read timeout: throws to abandon the frame (a deadline passed). */
    public interface Progress {
        void check(boolean timedOut) throws IOException;
    }

    /** Memory for a payload as its buffer grows: taken before a buffer is allocated, given back once it is dropped. */
    public interface Memory {
        Memory NONE = new Memory() {
            @Override
            public void take(long bytes) {}

            @Override
            public void give(long bytes) {}
        };

        /** Holds {@code bytes} more; throws to abandon the frame (no room in time). */
        void take(long bytes) throws IOException;

        void give(long bytes);
    }

    /**
     * Reads a payload of {@code length} bytes, growing the buffer as bytes arrive (a peer that announces a
     * large frame and sends little costs little), calling {@code progress} after each read.
     */
    public static byte[] readPayload(InputStream in, int length, Progress progress) throws IOException {
        return readPayload(in, length, progress, Memory.NONE);
    }

    /**
     * As above, holding each buffer in {@code memory} before it is allocated: while the buffer doubles, the old
     * one and the new one are held at once. At the end {@code memory} holds exactly {@code length} bytes.
     */
    public static byte[] readPayload(InputStream in, int length, Progress progress, Memory memory) throws IOException {
        byte[] buf = new byte[0];
        int done = 0;
        while (done < length) {
            if (done == buf.length) {
                int size = (int) Math.min(length, Math.max(1 << 16, 2L * buf.length));
                memory.take(size);
                buf = java.util.Arrays.copyOf(buf, size);
                memory.give(done);
            }
            int r;
            try {
                r = in.read(buf, done, buf.length - done);
            } catch (SocketTimeoutException e) {
                progress.check(true);
                continue;
            }
            if (r < 0) throw new EOFException("connection closed inside a frame");
            done += r;
            progress.check(false);
        }
        return buf;
    }

    private static boolean readFully(InputStream in, byte[] buf, boolean idleAllowed) throws IOException {
        int done = 0;
        while (done < buf.length) {
            int r;
            try {
                r = in.read(buf, done, buf.length - done);
            } catch (SocketTimeoutException e) {
                if (idleAllowed && done == 0) continue;
                throw new ProtocolException(ErrorCode.TIMEOUT, "peer stalled inside a frame", e);
            }
            if (r < 0) {
                if (done == 0 && idleAllowed) return false;
                throw new EOFException("connection closed inside a frame");
            }
            done += r;
        }
        return true;
    }
}
