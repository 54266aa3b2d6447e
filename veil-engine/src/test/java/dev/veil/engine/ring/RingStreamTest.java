package dev.veil.engine.ring;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import javax.crypto.Cipher;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

/** The seed expansion both the node and a weights server run: it must be exactly AES-256-CTR from a zero counter. */
class RingStreamTest {
    static byte[] seed(int first) {
        byte[] s = new byte[RingStream.SEED_BYTES];
        for (int i = 0; i < s.length; i++) s[i] = (byte) (first + 7 * i);
        return s;
    }

    /** The reference: AES-256 of the counter blocks 0, 1, 2, ... (big-endian, as CTR counts), read little-endian. */
    static byte[] reference(byte[] seed, int bytes) throws Exception {
        var ecb = Cipher.getInstance("AES/ECB/NoPadding");
        ecb.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(seed, "AES"));
        byte[] out = new byte[(bytes + 15) / 16 * 16];
        for (int block = 0; block < out.length / 16; block++) {
            byte[] counter = ByteBuffer.allocate(16).putLong(8, block).array();
            System.arraycopy(ecb.doFinal(counter), 0, out, 16 * block, 16);
        }
        return Arrays.copyOf(out, bytes);
    }

    @Test
    void expandsAsAesCtrFromAZeroCounterAcrossChunks() throws Exception {
        int count = 5000; // more than one 16 KiB chunk of Z_2^64 elements
        byte[] ref = reference(seed(3), 8 * count);
        long[] z64 = RingStream.expand(Ring.Z64, seed(3), count);
        var le = ByteBuffer.wrap(ref).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < count; i++) assertEquals(le.getLong(8 * i), z64[i], "element " + i);
        long[] z32 = RingStream.expand(Ring.Z32, seed(3), 2 * count);
        for (int i = 0; i < 2 * count; i++) assertEquals(le.getInt(4 * i), z32[i], "element " + i); // signed representatives
    }

    @Test
    void aStreamContinuesWhereItStoppedAndSeedsDiffer() {
        long[] whole = RingStream.expand(Ring.Z64, seed(1), 3000);
        var s = new RingStream(seed(1));
        long[] a = new long[1000], b = new long[2000];
        s.fill(Ring.Z64, a, 1000);
        s.fill(Ring.Z64, b, 2000);
        assertArrayEquals(Arrays.copyOf(whole, 1000), a);
        assertArrayEquals(Arrays.copyOfRange(whole, 1000, 3000), b);
        long[] other = RingStream.expand(Ring.Z64, seed(2), 3000);
        assertEquals(0, java.util.stream.IntStream.range(0, 3000).filter(i -> other[i] == whole[i]).count());
        assertThrows(IllegalArgumentException.class, () -> new RingStream(new byte[16]));
    }
}
