package dev.veil.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.veil.engine.inference.Projection;
import dev.veil.engine.ring.Ring;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class CodecTest {
    static Rows randomRows(SplittableRandom rnd, int kind, int rows, int cols) {
        int count = rows * cols;
        if (kind == 0) {
            float[] d = new float[count];
            for (int i = 0; i < count; i++) d[i] = (float) rnd.nextGaussian();
            return new Rows.Floats(rows, cols, d);
        }
        Ring ring = kind == 1 ? Ring.Z32 : Ring.Z64;
        long[] d = new long[count];
        for (int i = 0; i < count; i++) d[i] = ring.wrap(rnd.nextLong());
        return new Rows.RingElements(ring, rows, cols, d);
    }

    static void assertRowsEqual(Rows a, Rows b) {
        assertEquals(a.getClass(), b.getClass());
        assertEquals(a.rows(), b.rows());
        assertEquals(a.cols(), b.cols());
        switch (a) {
            case Rows.Floats f -> assertArrayEquals(f.data(), ((Rows.Floats) b).data());
            case Rows.RingElements e -> {
                assertEquals(e.ring(), ((Rows.RingElements) b).ring());
                assertArrayEquals(e.data(), ((Rows.RingElements) b).data());
            }
        }
    }

    @Test
    void everyMessageRoundTripsThroughFrames() throws Exception {
        var rnd = new SplittableRandom(1);
        for (int trial = 0; trial < 50; trial++) {
            int kind = trial % 3, rows = rnd.nextInt(6), cols = 1 + rnd.nextInt(40);
            Rows r = randomRows(rnd, kind, rows, cols);
            var id = new MatrixId(Projection.values()[rnd.nextInt(4)], rnd.nextInt(30));
            Message[] messages = {
                new Message.Hello("stories260K.bin ✓"),
                new Message.Welcome("m", new ModelDims(64, 172, 5, 8, 4, 8, 512), 1 << 20),
                new Message.Setup(id, r),
                new Message.SetupReply(r, new float[] {1f, 2.5f}),
                new Message.Linear(id, r),
                new Message.SeededLinear(id, rnd.nextBoolean() ? Ring.Z32 : Ring.Z64, rows, cols, seed(rnd)),
                new Message.LinearReply(r, rnd.nextLong()),
                new Message.Error(ErrorCode.BAD_SHAPE, "wrong"),
                new Message.Decode(rnd.nextLong(), rnd.nextInt(1 << 20), r),
                new Message.DecodeReply(r, rnd.nextLong()),
                new Message.EndSession(rnd.nextLong()),
                new Message.SessionEnded(-1L),
                new Message.Challenge(),
                new Message.Nonce(new byte[] {1, 2, 3}),
                new Message.Evidence("sev-snp", new byte[] {9, 8}, "-----BEGIN".getBytes()),
                new Message.Attested("SIMULATED"),
            };
            for (Message m : messages) {
                var buf = new ByteArrayOutputStream();
                Frame.of(trial, m).write(buf);
                Frame f = Frame.read(new ByteArrayInputStream(buf.toByteArray()), 1 << 20);
                assertEquals(trial, f.requestId());
                Message back = f.message();
                assertEquals(m.getClass(), back.getClass());
                switch (m) {
                    case Message.Setup s -> { assertEquals(s.matrix(), ((Message.Setup) back).matrix()); assertRowsEqual(s.base(), ((Message.Setup) back).base()); }
                    case Message.Linear l -> { assertEquals(l.matrix(), ((Message.Linear) back).matrix()); assertRowsEqual(l.input(), ((Message.Linear) back).input()); }
                    case Message.SetupReply s -> { assertRowsEqual(s.restoration(), ((Message.SetupReply) back).restoration()); assertArrayEquals(s.rowScales(), ((Message.SetupReply) back).rowScales()); }
                    case Message.LinearReply l -> { assertRowsEqual(l.output(), ((Message.LinearReply) back).output()); assertEquals(l.serverNanos(), ((Message.LinearReply) back).serverNanos()); }
                    case Message.Decode d -> {
                        var b = (Message.Decode) back;
                        assertEquals(d.session(), b.session());
                        assertEquals(d.position(), b.position());
                        assertRowsEqual(d.hidden(), b.hidden());
                    }
                    case Message.DecodeReply d -> { assertRowsEqual(d.hidden(), ((Message.DecodeReply) back).hidden()); assertEquals(d.serverNanos(), ((Message.DecodeReply) back).serverNanos()); }
                    case Message.SeededLinear l -> {
                        var b = (Message.SeededLinear) back;
                        assertEquals(List.of(l.matrix(), l.ring(), l.rows(), l.cols()), List.of(b.matrix(), b.ring(), b.rows(), b.cols()));
                        assertArrayEquals(l.seed(), b.seed());
                        assertRowsEqual(l.expand().input(), b.expand().input());
                        assertEquals(58, buf.size()); // 12-byte header, 46-byte payload, whatever the block's size
                    }
                    case Message.Nonce n -> assertArrayEquals(n.nonce(), ((Message.Nonce) back).nonce());
                    case Message.Evidence e -> {
                        var b = (Message.Evidence) back;
                        assertEquals(e.kind(), b.kind());
                        assertArrayEquals(e.report(), b.report());
                        assertArrayEquals(e.certificates(), b.certificates());
                    }
                    default -> assertEquals(m, back);
                }
            }
        }
    }

    @Test
    void malformedPayloadsAreBadFrames() {
        var rnd = new SplittableRandom(2);
        byte[] good = Codec.encode(new Message.Linear(new MatrixId(Projection.QKV, 1), randomRows(rnd, 0, 2, 3)));
        for (byte[] bad : new byte[][] {
                Arrays.copyOf(good, good.length - 1),               // truncated
                Arrays.copyOf(good, good.length + 4),               // trailing bytes
                patch(good, 0, (byte) 9),                           // unknown projection
                patch(good, 5, (byte) 7),                           // unknown element type
                patch(good, 9, (byte) 0x7f),                        // rows far beyond the payload
                new byte[0]}) {
            var e = assertThrows(ProtocolException.class, () -> Codec.decode(Codec.LINEAR, bad));
            assertEquals(ErrorCode.BAD_FRAME, e.code());
        }
        assertEquals(ErrorCode.BAD_FRAME, assertThrows(ProtocolException.class, () -> Codec.decode(42, good)).code());
        // a seeded block: only over a ring, a whole 32-byte seed, no trailing bytes, no block beyond 2^31 bytes
        byte[] seeded = Codec.encode(new Message.SeededLinear(new MatrixId(Projection.QKV, 1), Ring.Z64, 2, 3, seed(rnd)));
        for (byte[] bad : new byte[][] {patch(seeded, 5, (byte) 1), patch(seeded, 5, (byte) 4), Arrays.copyOf(seeded, seeded.length - 1),
                Arrays.copyOf(seeded, seeded.length + 1), patch(patch(seeded, 9, (byte) 0x7f), 13, (byte) 0x7f)}) {
            assertEquals(ErrorCode.BAD_FRAME, assertThrows(ProtocolException.class, () -> Codec.decode(Codec.SEEDED_LINEAR, bad)).code());
        }
        // a decode at a negative position is rejected
        byte[] decode = Codec.encode(new Message.Decode(1, 0, randomRows(rnd, 0, 1, 2)));
        assertEquals(ErrorCode.BAD_FRAME, assertThrows(ProtocolException.class, () -> Codec.decode(Codec.DECODE, patch(decode, 11, (byte) 0x80))).code());
        // a negative layer is rejected, too
        byte[] negative = patch(good, 4, (byte) 0x80);
        assertEquals(ErrorCode.BAD_FRAME, assertThrows(ProtocolException.class, () -> Codec.decode(Codec.LINEAR, negative)).code());
        // evidence announcing a byte string beyond the payload, or beyond 64 KiB, is rejected before any allocation
        byte[] evidence = Codec.encode(new Message.Evidence("sev-snp", new byte[4], new byte[0]));
        for (byte[] bad : new byte[][] {patch(evidence, 9, (byte) 0x10), patch(evidence, 12, (byte) 0x7f)}) {
            assertEquals(ErrorCode.BAD_FRAME, assertThrows(ProtocolException.class, () -> Codec.decode(Codec.EVIDENCE, bad)).code());
        }
    }

    @Test
    void framesWithBadMagicVersionOrSizeAreRejected() throws Exception {
        var buf = new ByteArrayOutputStream();
        Frame.of(1, new Message.Hello("x")).write(buf);
        byte[] ok = buf.toByteArray();
        assertEquals(ErrorCode.BAD_FRAME, assertThrows(ProtocolException.class,
                () -> Frame.read(new ByteArrayInputStream(patch(ok, 0, (byte) 'G')), 100)).code());
        assertEquals(ErrorCode.UNSUPPORTED_VERSION, assertThrows(ProtocolException.class,
                () -> Frame.read(new ByteArrayInputStream(patch(ok, 2, (byte) 3)), 100)).code());
        // version 1 (before SEEDED_LINEAR) is refused with a line that says what to do
        var v1 = assertThrows(ProtocolException.class, () -> Frame.read(new ByteArrayInputStream(patch(ok, 2, (byte) 1)), 100));
        assertEquals(ErrorCode.UNSUPPORTED_VERSION, v1.code());
        assertTrue(v1.getMessage().contains("protocol version 1 is not supported (this side speaks 2;"), v1.getMessage());
        assertEquals(ErrorCode.TOO_LARGE, assertThrows(ProtocolException.class,
                () -> Frame.read(new ByteArrayInputStream(ok), 2)).code());
        assertThrows(java.io.EOFException.class, () -> Frame.read(new ByteArrayInputStream(Arrays.copyOf(ok, ok.length - 1)), 100));
        assertEquals(null, Frame.read(new ByteArrayInputStream(new byte[0]), 100));
    }

    static byte[] seed(SplittableRandom rnd) {
        byte[] s = new byte[32];
        for (int i = 0; i < s.length; i++) s[i] = (byte) rnd.nextInt();
        return s;
    }

    static byte[] patch(byte[] a, int at, byte v) {
        byte[] b = a.clone();
        b[at] = v;
        return b;
    }

    /** Found by fuzzing (docs/hardening.md): a string that is not UTF-8 was decoded lossily instead of refused. */
    @Test
    void aStringThatIsNotUtf8IsRefused() {
        byte[] error = {4, 0, 11, 0, 'w', 'r', 'o', (byte) 0xee, 'c', ' ', 's', 'h', 'a', 'p', 'e'};
        var e = org.junit.jupiter.api.Assertions.assertThrows(ProtocolException.class, () -> Codec.decode(Codec.ERROR, error));
        assertEquals(ErrorCode.BAD_FRAME, e.code());
        assertEquals("malformed message: a string that is not UTF-8", e.getMessage());
    }

    /** Found by fuzzing: a block whose rows·cols·bytes overflows a long passed the size check and failed allocating. */
    @Test
    void aBlockWhoseSizeOverflowsIsRefused() {
        var b = java.nio.ByteBuffer.allocate(5 + 9 + 8).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        // (2^31 - 1) x 0x60000001 elements of 8 bytes: the byte count wraps negative, the element count is 2^29 - 1
        b.put((byte) 0).putInt(0).put((byte) 3).putInt(Integer.MAX_VALUE).putInt(0x60000001);
        var e = org.junit.jupiter.api.Assertions.assertThrows(ProtocolException.class, () -> Codec.decode(Codec.LINEAR, b.array()));
        assertEquals(ErrorCode.BAD_FRAME, e.code());
        assertTrue(e.getMessage().contains("does not fit"), e.getMessage());
    }
}
