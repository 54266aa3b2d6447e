package dev.veil.node;

import dev.veil.engine.ring.Ring;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.DrbgParameters;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.function.Consumer;
import java.util.random.RandomGenerator;

/**
 * The randomness of masks and the one definition of their distributions. The node's is the JDK's NIST SP
 * 800-90A DRBG (256-bit strength), seeded from the system's entropy source when created; each session draws its
 * own and nothing it produces leaves the trusted node. The attack lab draws the same distributions from a seeded
 * generator ({@link #simulation}) to imitate a node reproducibly; no node code path creates one.
 */
public final class MaskRandom {
    private static final double SQRT3 = Math.sqrt(3);
    private final Consumer<byte[]> source;

    /** The node's: a fresh DRBG. */
    public MaskRandom() {
        try {
            var drbg = SecureRandom.getInstance("DRBG", DrbgParameters.instantiation(256, DrbgParameters.Capability.NONE, "veil-remo".getBytes()));
            source = drbg::nextBytes;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JDK has no DRBG", e);
        }
    }

    private MaskRandom(Consumer<byte[]> source) {
        this.source = source;
    }

    /**
     * The node's distributions over a caller's generator, for the attack lab's simulations (reproducible, not
     * secret). Draws are serialized, as the generator need not be thread-safe.
     */
    public static MaskRandom simulation(RandomGenerator generator) {
        return new MaskRandom(bytes -> {
            synchronized (generator) {
                generator.nextBytes(bytes);
            }
        });
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
        source.accept(a);
        return ByteBuffer.wrap(a).order(ByteOrder.LITTLE_ENDIAN);
    }
}
