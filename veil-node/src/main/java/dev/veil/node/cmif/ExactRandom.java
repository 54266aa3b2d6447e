package dev.veil.node.cmif;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import javax.crypto.Cipher;
import javax.crypto.spec.ChaCha20ParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The sanitizers' randomness: a ChaCha20 keystream keyed from {@link SecureRandom} (a CSPRNG that is fast
 * enough to draw thousands of values per token), and exact samplers on top of it that use only integer
 * arithmetic, so the privacy guarantee does not rest on floating-point logarithms (Mironov 2012).
 *
 * <p>The samplers follow Canonne, Kamath and Steinke, "The Discrete Gaussian for Differential Privacy"
 * (NeurIPS 2020): Algorithm 1 for Bernoulli(exp(-γ)) with rational γ, Algorithm 2 for the discrete Laplace
 * distribution with rational scale. Not thread-safe: use one per thread.
 */
public final class ExactRandom {
    private static final int BLOCK = 1 << 14;
    /** A keyed generator serves one position (a coin and K noise draws): a small block, refilled if it runs out. */
    private static final int KEYED_BLOCK = 1 << 10;
    private static final long REKEY_BYTES = 1L << 30; // well below ChaCha20's 2^32-block counter limit

    private final byte[] key;
    private final Cipher cipher;
    private final int block;
    private final byte[] zeros;
    private final ByteBuffer buffer;
    private long nonce, produced;
    private long bits;
    private int bitsLeft;

    private ExactRandom(byte[] key, int block) {
        this.key = key;
        this.block = block;
        this.zeros = new byte[block];
        this.buffer = ByteBuffer.allocate(block).order(ByteOrder.LITTLE_ENDIAN);
        try {
            cipher = Cipher.getInstance("ChaCha20");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JDK has no ChaCha20 cipher", e);
        }
        rekey();
    }

    /** A generator keyed from the platform's {@link SecureRandom}. */
    public static ExactRandom create() {
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        return new ExactRandom(key, BLOCK);
    }

    /** A generator keyed by a secret 32-byte key (one {@link ConsistentDraws} position's). */
    static ExactRandom keyed(byte[] key) {
        if (key.length != 32) throw new IllegalArgumentException("a ChaCha20 key has 32 bytes");
        return new ExactRandom(key.clone(), KEYED_BLOCK);
    }

    /** A reproducible generator (tests and experiments that must be repeatable); not for deployment. */
    public static ExactRandom seeded(long seed) {
        return new ExactRandom(ByteBuffer.allocate(32).putLong(seed).putLong(~seed).array(), BLOCK);
    }

    /** 64 uniformly random bits. */
    public long nextLong() {
        if (buffer.remaining() < Long.BYTES) refill();
        return buffer.getLong();
    }

    /** Uniform in [0, bound), bound &gt; 0, without bias (Lemire's multiply-and-reject). */
    public long uniform(long bound) {
        if (bound <= 0) throw new IllegalArgumentException("bound must be positive: " + bound);
        long x = nextLong(), high = Math.unsignedMultiplyHigh(x, bound), low = x * bound;
        if (Long.compareUnsigned(low, bound) < 0) {
            long threshold = Long.remainderUnsigned(-bound, bound);
            while (Long.compareUnsigned(low, threshold) < 0) {
                x = nextLong();
                high = Math.unsignedMultiplyHigh(x, bound);
                low = x * bound;
            }
        }
        return high;
    }

    /** One fair coin. */
    public boolean coin() {
        if (bitsLeft == 0) {
            bits = nextLong();
            bitsLeft = 64;
        }
        bitsLeft--;
        boolean b = (bits & 1) != 0;
        bits >>>= 1;
        return b;
    }

    /** True with probability num/den exactly (0 &lt;= num &lt;= den). */
    public boolean bernoulli(long num, long den) {
        if (num <= 0) return false;
        if (num >= den) return true;
        return uniform(den) < num;
    }

    /** True with probability p, to 2^-53 (for coins that carry no privacy parameter, such as CMIF's p). */
    public boolean bernoulli(double p) {
        return (nextLong() >>> 11) < (long) (p * 0x1p53);
    }

    /** True with probability exp(-num/den) exactly, num &gt;= 0, den &gt; 0 (CKS Algorithm 1). */
    public boolean bernoulliExp(long num, long den) {
        if (num < 0 || den <= 0) throw new IllegalArgumentException("need num >= 0 and den > 0");
        for (long whole = num / den; whole > 0; whole--) {
            if (!bernoulliExpAtMostOne(1, 1)) return false;
        }
        return num % den == 0 || bernoulliExpAtMostOne(num % den, den);
    }

    /** exp(-γ) for γ = num/den in [0, 1]: count K until Bernoulli(γ/K) fails; true iff K is odd. */
    private boolean bernoulliExpAtMostOne(long num, long den) {
        long k = 1;
        while (bernoulli(num, Math.multiplyExact(den, k))) k++;
        return (k & 1) == 1;
    }

    /**
     * Discrete Laplace on the integers with scale {@code scaleNum/scaleDen}: P(z) ∝ exp(-|z| · scaleDen / scaleNum)
     * (CKS Algorithm 2).
     */
    public long discreteLaplace(long scaleNum, long scaleDen) {
        if (scaleNum <= 0 || scaleDen <= 0) throw new IllegalArgumentException("scale must be positive");
        while (true) {
            long u = uniform(scaleNum);
            if (!bernoulliExp(u, scaleNum)) continue;
            long v = 0;
            while (bernoulliExp(1, 1)) v++;
            long x = u + scaleNum * v;   // geometric: P(x) ∝ exp(-x / scaleNum)
            long z = x / scaleDen;       // geometric: P(z) ∝ exp(-z · scaleDen / scaleNum)
            boolean negative = coin();
            if (negative && z == 0) continue; // 0 must not be counted twice
            return negative ? -z : z;
        }
    }

    private void refill() {
        if (produced >= REKEY_BYTES) rekey();
        buffer.clear();
        try {
            cipher.update(zeros, 0, block, buffer.array(), 0);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("ChaCha20 keystream failed", e);
        }
        produced += block;
    }

    /** A fresh nonce under the same key: a new, independent keystream. */
    private void rekey() {
        byte[] iv = ByteBuffer.allocate(12).putInt(0).putLong(nonce++).array();
        try {
            cipher.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "ChaCha20"), new ChaCha20ParameterSpec(iv, 0));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("ChaCha20 setup failed", e);
        }
        produced = 0;
        buffer.clear().limit(0);
    }
}
