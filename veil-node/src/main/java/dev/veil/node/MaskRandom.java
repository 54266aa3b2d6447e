package dev.veil.node;

import dev.veil.engine.ring.Ring;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.DrbgParameters;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;

/**
 * The randomness of masks: the JDK's NIST SP 800-90A DRBG (256-bit strength), seeded from the system's
 * entropy source when created. Each session draws its own; nothing it produces leaves the trusted node.
 */
public final class MaskRandom {
    private static final double SQRT3 = Math.sqrt(3);
    private final SecureRandom drbg;

    public MaskRandom() {
        try {
            drbg = SecureRandom.getInstance("DRBG", DrbgParameters.instantiation(256, DrbgParameters.Capability.NONE, "veil-remo".getBytes()));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JDK has no DRBG", e);
        }
    }

    /** {@code count} elements uniform over the ring. */
    public long[] ring(Ring ring, int count) {
        ByteBuffer b = bytes(count * ring.bytes());
        long[] v = new long[count];
        for (int i = 0; i < count; i++) v[i] = ring == Ring.Z64 ? b.getLong() : b.getInt();
        return v;
    }

    /** {@code count} floats uniform on [-σ√3, σ√3): mean 0, standard deviation σ. */
    public float[] uniform(int count, double sigma) {
        ByteBuffer b = bytes(count * 4);
        float[] v = new float[count];
        double scale = sigma * SQRT3 / (1L << 31);
        for (int i = 0; i < count; i++) v[i] = (float) (b.getInt() * scale);
        return v;
    }

    private ByteBuffer bytes(int n) {
        byte[] a = new byte[n];
        drbg.nextBytes(a);
        return ByteBuffer.wrap(a).order(ByteOrder.LITTLE_ENDIAN);
    }
}
