package dev.veil.node.remo;

import dev.veil.engine.ring.Numeric;
import dev.veil.node.MaskRandom;
import dev.veil.protocol.ErrorCode;
import dev.veil.protocol.MatrixId;
import dev.veil.protocol.Message;
import dev.veil.protocol.ProtocolException;
import dev.veil.protocol.Rows;
import dev.veil.protocol.transport.Channel;

/**
 * One weight matrix's ReMO set-up: its public base Mpub (m × d_in, drawn here, sent to the server once) and its
 * restoration pool Rpub = Mpub·Wᵀ (m × d_out, computed by the server). Both are kept transposed so masking and
 * restoring are the engine's row-wise products over m.
 */
public abstract sealed class PublicBase permits FloatBase, RingBase {
    final MatrixId id;
    final int m, dIn, dOut;

    PublicBase(MatrixId id, int m, int dIn, int dOut) {
        this.id = id;
        this.m = m;
        this.dIn = dIn;
        this.dOut = dOut;
    }

    /** Draws Mpub, asks the server for Rpub and keeps both. */
    static PublicBase setup(Channel channel, MatrixId id, int m, int dIn, int dOut, RemoConfig config, MaskRandom random) {
        Rows base = draw(config.numeric(), m, dIn, random);
        var reply = channel.call(new Message.Setup(id, base), Message.SetupReply.class);
        return of(id, base, reply.restoration(), dOut, reply.rowScales(), config.maskScale());
    }

    /**
     * A public base Mpub (m × d_in): uniform over the ring in the exact modes, else entries uniform with unit
     * variance.
     */
    public static Rows draw(Numeric numeric, int m, int dIn, MaskRandom random) {
        if (numeric.exact()) return new Rows.RingElements(numeric.ring, m, dIn, random.ring(numeric.ring, m * dIn));
        return new Rows.Floats(m, dIn, random.uniform(m * dIn, 1.0));
    }

    /**
     * A matrix's base from Mpub and the server's Rpub = Mpub·Wᵀ (m × d_out; over a ring with the matrix's d_out
     * row scales); σ is the float mode's mask scale.
     */
    public static PublicBase of(MatrixId id, Rows mpub, Rows rpub, int dOut, float[] rowScales, double maskScale) {
        int m = mpub.rows(), dIn = mpub.cols();
        if (mpub instanceof Rows.RingElements base) {
            var ring = base.ring();
            if (!(rpub instanceof Rows.RingElements r) || r.ring() != ring || rowScales.length != dOut) {
                throw badReply(id, "a restoration pool over " + ring + " with " + dOut + " row scales");
            }
            checkShape(id, r, m, dOut);
            return new RingBase(id, ring, m, dIn, dOut, base.data(), r.data(), rowScales);
        }
        if (!(rpub instanceof Rows.Floats r)) throw badReply(id, "a float restoration pool");
        checkShape(id, r, m, dOut);
        return new FloatBase(id, m, dIn, dOut, ((Rows.Floats) mpub).data(), r.data(), maskScale);
    }

    /**
     * Masks rows x[xOffset, xOffset + n·d_in) with a fresh private mask Mpvt (n × m) drawn from {@code random}:
     * in float mode entries of standard deviation σ/√m (so a mask entry has standard deviation σ), over a ring
     * uniform.
     */
    public abstract MaskedCall mask(float[] x, int xOffset, int n, MaskRandom random);

    /** The rank m of Mpub. */
    public int rank() {
        return m;
    }

    /** Bytes of Mpub and Rpub held. */
    abstract long byteSize();

    /** Bytes per element on the wire. */
    abstract int elementBytes();

    static void checkShape(MatrixId id, Rows r, int rows, int cols) {
        if (r.rows() != rows || r.cols() != cols) {
            throw badReply(id, rows + "x" + cols + " values but got " + r.rows() + "x" + r.cols());
        }
    }

    static ProtocolException badReply(MatrixId id, String expected) {
        return new ProtocolException(ErrorCode.BAD_SHAPE, "weights server's reply for " + id + " is wrong: expected " + expected);
    }

    /** Row-major rows × cols to cols × rows. */
    static float[] transpose(float[] a, int rows, int cols) {
        float[] t = new float[a.length];
        for (int r = 0; r < rows; r++) for (int c = 0; c < cols; c++) t[c * rows + r] = a[r * cols + c];
        return t;
    }

    static long[] transpose(long[] a, int rows, int cols) {
        long[] t = new long[a.length];
        for (int r = 0; r < rows; r++) for (int c = 0; c < cols; c++) t[c * rows + r] = a[r * cols + c];
        return t;
    }
}
