package dev.veil.node.remo;

import dev.veil.node.MaskRandom;
import dev.veil.engine.inference.Projection;
import dev.veil.protocol.MatrixId;
import dev.veil.protocol.ModelDims;
import dev.veil.protocol.transport.Channel;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Every matrix's {@link PublicBase}, set up once per deployment and shared by all sessions. Distinct matrices
 * get independent bases; a matrix never gets a second one (two independent bases of one matrix would let the
 * node solve for W).
 */
public final class RestorationPool {
    private final Map<MatrixId, PublicBase> bases;
    private final int maxPayload;
    private final long setupNanos, setupBytes;

    private RestorationPool(Map<MatrixId, PublicBase> bases, int maxPayload, long setupNanos, long setupBytes) {
        this.bases = bases;
        this.maxPayload = maxPayload;
        this.setupNanos = setupNanos;
        this.setupBytes = setupBytes;
    }

    /** Sets up every matrix of the model with the server behind {@code channel}. */
    public static RestorationPool setup(Channel channel, ModelDims shape, RemoConfig config, int maxPayload) {
        long t0 = System.nanoTime(), b0 = channel.traffic().bytesSent() + channel.traffic().bytesReceived();
        var random = new MaskRandom();
        Map<MatrixId, PublicBase> bases = new LinkedHashMap<>();
        for (MatrixId id : matrices(shape)) {
            int dIn = shape.inDim(id.projection());
            bases.put(id, PublicBase.setup(channel, id, config.size().forInputs(dIn), dIn, shape.outDim(id.projection()), config, random));
        }
        long bytes = channel.traffic().bytesSent() + channel.traffic().bytesReceived() - b0;
        return new RestorationPool(bases, maxPayload, System.nanoTime() - t0, bytes);
    }

    /** All outsourced matrices of a model: per layer QKV, ATTN_OUT, GATE_UP, FFN_DOWN; then LM_HEAD. */
    public static java.util.List<MatrixId> matrices(ModelDims shape) {
        var ids = new java.util.ArrayList<MatrixId>();
        for (int l = 0; l < shape.layers(); l++) {
            for (Projection p : Projection.values()) if (p.perLayer()) ids.add(new MatrixId(p, l));
        }
        ids.add(new MatrixId(Projection.LM_HEAD, 0));
        return ids;
    }

    PublicBase base(MatrixId id) {
        PublicBase b = bases.get(id);
        if (b == null) throw new IllegalArgumentException("no public base for " + id);
        return b;
    }

    /** m of a matrix's base. */
    public int rank(MatrixId id) {
        return base(id).m;
    }

    /** How many rows one call may carry so that request and reply stay within the server's frame limit. */
    int rowsPerCall(PublicBase b) {
        long perRow = (long) b.elementBytes() * Math.max(b.dIn, b.dOut);
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, (maxPayload - 1024) / perRow));
    }

    /** Bytes of every Mpub and Rpub held on the trusted node. */
    public long byteSize() {
        long sum = 0;
        for (PublicBase b : bases.values()) sum += b.byteSize();
        return sum;
    }

    /** Wall time of the set-up. */
    public long setupNanos() { return setupNanos; }

    /** Bytes sent and received during the set-up. */
    public long setupBytes() { return setupBytes; }
}
