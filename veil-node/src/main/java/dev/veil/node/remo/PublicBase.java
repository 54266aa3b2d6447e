package dev.veil.node.remo;

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
        if (config.numeric().exact()) {
            var ring = config.numeric().ring;
            long[] base = random.ring(ring, m * dIn);
            var reply = channel.call(new Message.Setup(id, new Rows.RingElements(ring, m, dIn, base)), Message.SetupReply.class);
            if (!(reply.restoration() instanceof Rows.RingElements r) || r.ring() != ring || reply.rowScales().length != dOut) {
                throw badReply(id, "a restoration pool over " + ring + " with " + dOut + " row scales");
            }
            checkShape(id, r, m, dOut);
            return new RingBase(id, ring, m, dIn, dOut, base, r.data(), reply.rowScales());
        }
        float[] base = random.uniform(m * dIn, 1.0);
        var reply = channel.call(new Message.Setup(id, new Rows.Floats(m, dIn, base)), Message.SetupReply.class);
        if (!(reply.restoration() instanceof Rows.Floats r)) throw badReply(id, "a float restoration pool");
        checkShape(id, r, m, dOut);
        return new FloatBase(id, m, dIn, dOut, base, r.data(), config.maskScale());
    }

    /** Masks rows x[xOffset, xOffset + n·d_in) with a fresh private mask. */
    abstract MaskedCall mask(float[] x, int xOffset, int n, MaskRandom random);

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
