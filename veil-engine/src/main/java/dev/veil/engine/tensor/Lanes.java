package dev.veil.engine.tensor;

import static dev.veil.engine.tensor.Layouts.LE;
import static dev.veil.engine.tensor.Layouts.LE_INT;
import static jdk.incubator.vector.VectorOperators.ASHR;
import static jdk.incubator.vector.VectorOperators.B2F;
import static jdk.incubator.vector.VectorOperators.I2F;
import static jdk.incubator.vector.VectorOperators.LSHL;
import static jdk.incubator.vector.VectorOperators.LSHR;
import static jdk.incubator.vector.VectorOperators.ZERO_EXTEND_B2I;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vector width, and the fixed order of float accumulation that makes every result independent of it.
 *
 * <p>Every float reduction keeps {@value #SUMS} partial sums, whatever the width: partial sum i takes the terms at
 * positions i mod 16 (of a block, or of the range). They live in {@link #PARTS} = 16 / {@link #L} vectors (one at
 * 512 bits, two at 256, four at 128) and end in the same pairwise tree (i + 8, then i + 4, i + 2, i + 1). Lane-wise
 * operations round the same at any width, so a model prints the same greedy text on every CPU.
 *
 * <p>The tree is built from lane-wise adds and lane extraction, never {@code reduceLanes(ADD)}: that order is
 * unspecified, and HotSpot's Java fallback (interpreter, C1) sums sequentially while C2's intrinsic sums as a tree,
 * so a result's last bit would depend on whether its caller had been JIT-compiled yet ({@code JitIndependenceTest}).
 *
 * <p>A kernel's vectors stay in registers only if C2 inlines every vector operation and helper, from the
 * accumulators' zero to this tree, into the kernel. C2 stops inlining once a method has parsed to
 * {@code NodeCountInliningCutoff} (18,000) nodes; each Vector API call brings some hundreds, a scalar
 * {@code MemorySegment} read ~800, and the call left out of line boxes its vectors on every call (3 to 27 MB per token
 * of the tiny test model: the K-quant, Q8_0, Q4_0 and F16 kernels at 256 or 128 bits, written out once per part). So
 * the quantized kernels loop over the parts, their body parsed once at every width: t = a0 plus part k's terms, then
 * the accumulators rotate (a0 takes a1, and so on, the last takes t), which after {@link #PARTS} steps has given each
 * its own partial sums in their order. They read block headers in few scalar loads, and at 128 bits bytes without a
 * shape change ({@link #bytesToInts}).
 *
 * <p>Width: the preferred one, clamped to 128..512 bits, or {@code -Dveil.vectorBits=128|256|512}.
 */
public final class Lanes {
    public static final int SUMS = 16;
    public static final VectorSpecies<Float> F = floatSpecies(System.getProperty("veil.vectorBits"));
    /** Float lanes per vector: 4, 8 or 16. */
    public static final int L = F.length();
    /** Vectors holding the 16 partial sums. */
    public static final int PARTS = SUMS / L;
    static final VectorSpecies<Integer> I = F.withLanes(int.class);

    /** Lane i to lane i XOR 8 (512 bits) and i XOR 4 (256 and 512): the folds of {@link #sum}. */
    private static final VectorShuffle<Float> SWAP_8 = VectorShuffle.fromOp(F, i -> (i ^ 8) & (L - 1));
    private static final VectorShuffle<Float> SWAP_4 = VectorShuffle.fromOp(F, i -> (i ^ 4) & (L - 1));

    /** Byte lanes loaded per float vector (at 128 bits none: there is no 4-byte vector, see {@link #bytesToInts}). */
    private static final VectorSpecies<Byte> BL =
            L == 4 ? ByteVector.SPECIES_64 : VectorSpecies.of(byte.class, VectorShape.forBitSize(8 * L));
    /** 24 - 8·i in lane i: the shifts that bring byte i of an int to the top (used at 128 bits). */
    private static final IntVector TOP_SHIFTS = IntVector.broadcast(I, 24).sub(IntVector.zero(I).addIndex(8));

    private Lanes() {}

    /** Signed bytes [at + part·L, at + (part+1)·L) as floats (at 128 bits as {@link #bytesToInts}). */
    static FloatVector bytesToFloats(MemorySegment s, long at, int part) {
        if (L > 4) return (FloatVector) ByteVector.fromMemorySegment(BL, s, at + (long) part * L, LE).convertShape(B2F, F, 0);
        return (FloatVector) spread(s, at + 4L * part).lanewise(ASHR, 24).convert(I2F, 0);
    }

    /**
     * Unsigned bytes [at + part·L, at + (part+1)·L) as int lanes. At 128 bits the four bytes are an int, spread over
     * the lanes by shifts: from the 8-byte vector that would hold them, {@code convertShape(..., part & 1)} slices
     * (a rearrange and a blend) for part 1, and with the part a loop variable (see the class comment) C2 compiles
     * both ways, ~5,000 more nodes of the kernel's inlining budget.
     */
    static IntVector bytesToInts(MemorySegment s, long at, int part) {
        if (L > 4) return (IntVector) ByteVector.fromMemorySegment(BL, s, at + (long) part * L, LE).convertShape(ZERO_EXTEND_B2I, I, 0);
        return spread(s, at + 4L * part).lanewise(LSHR, 24);
    }

    /** The int at {@code at} in every lane, lane i shifted left by 24 - 8·i: byte i in its top 8 bits. */
    private static IntVector spread(MemorySegment s, long at) {
        return IntVector.broadcast(I, s.get(LE_INT, at)).lanewise(LSHL, TOP_SHIFTS);
    }

    static VectorSpecies<Float> floatSpecies(String forced) {
        int bits = FloatVector.SPECIES_PREFERRED.vectorBitSize();
        if (forced != null) {
            try {
                int b = Integer.parseInt(forced.trim());
                if (b != 128 && b != 256 && b != 512) throw new NumberFormatException();
                bits = b;
            } catch (NumberFormatException e) {
                System.err.println("veil: ignoring -Dveil.vectorBits=" + forced + " (use 128, 256 or 512)");
            }
        }
        return VectorSpecies.of(float.class, VectorShape.forBitSize(Math.max(128, Math.min(512, bits))));
    }

    /** The width in bits. */
    public static int bits() {
        return F.vectorBitSize();
    }

    /**
     * The 16 partial sums held in a0..a(PARTS-1) (the others are ignored), added by the fixed tree. Halves are
     * folded by lane-wise adds with a constant permutation, not by {@code reinterpretShape(..., 1)}: at 512 bits
     * C2 does not intrinsify that shape change and falls back to Java code that allocates on every call (400 MB per
     * decoded token at the 1B shape).
     */
    public static float sum(FloatVector a0, FloatVector a1, FloatVector a2, FloatVector a3) {
        FloatVector v;  // lanes 0..3: v[i] = (p[i] + p[i+8]) + (p[i+4] + p[i+12])
        if (PARTS == 4) {
            v = a0.add(a2).add(a1.add(a3));
        } else {
            FloatVector u = PARTS == 2 ? a0.add(a1) : a0.add(a0.rearrange(SWAP_8));  // lanes 0..7: p[i] + p[i+8]
            v = u.add(u.rearrange(SWAP_4));
        }
        return (v.lane(0) + v.lane(2)) + (v.lane(1) + v.lane(3));
    }

    /** The fixed tree over 16 partial sums in an array (scalar twins and tiled kernels). */
    static float sum(float[] p, int o) {
        float u0 = p[o] + p[o + 8], u1 = p[o + 1] + p[o + 9], u2 = p[o + 2] + p[o + 10], u3 = p[o + 3] + p[o + 11];
        float u4 = p[o + 4] + p[o + 12], u5 = p[o + 5] + p[o + 13], u6 = p[o + 6] + p[o + 14], u7 = p[o + 7] + p[o + 15];
        float v0 = u0 + u4, v1 = u1 + u5, v2 = u2 + u6, v3 = u3 + u7;
        return (v0 + v2) + (v1 + v3);
    }
}
