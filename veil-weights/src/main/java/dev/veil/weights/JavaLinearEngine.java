package dev.veil.weights;

import dev.veil.engine.inference.LocalLinearOps;
import dev.veil.engine.model.LinearWeights;
import dev.veil.engine.model.LlamaConfig;
import dev.veil.engine.ring.Ring;
import dev.veil.engine.ring.RingLinearOps;
import dev.veil.protocol.MatrixId;
import dev.veil.protocol.Rows;
import java.util.EnumMap;
import java.util.Map;

/** Veil's own engine: the float kernels on the model's weights, and per ring its integer weights quantized on first use. */
public final class JavaLinearEngine implements LinearEngine {
    private final LlamaConfig config;
    private final LinearWeights weights;
    private final LocalLinearOps floatOps;
    private final Map<Ring, RingLinearOps> ringOps = new EnumMap<>(Ring.class);

    public JavaLinearEngine(LlamaConfig config, LinearWeights weights) {
        if (weights == null) throw new IllegalArgumentException("the weights server needs the model's weight matrices");
        this.config = config;
        this.weights = weights;
        this.floatOps = new LocalLinearOps(config, weights);
    }

    @Override
    public Rows multiply(MatrixId id, Rows x) {
        int n = x.rows(), out = id.projection().outDim(config), size = Math.multiplyExact(n, out);
        return switch (x) {
            case Rows.Floats f -> {
                float[] o = new float[size];
                if (n > 0) floatOps.apply(id.projection(), id.layer(), f.data(), n, o);
                yield new Rows.Floats(n, out, o);
            }
            case Rows.RingElements e -> {
                long[] o = new long[size];
                if (n > 0) ring(e.ring()).multiply(id.projection(), id.layer(), e.data(), n, o);
                yield new Rows.RingElements(e.ring(), n, out, o);
            }
        };
    }

    @Override
    public float[] rowScales(MatrixId id, Ring ring) {
        return ring(ring).matrix(id.projection(), id.layer()).rowScales();
    }

    /** The integer weights for {@code ring}, quantized on first use. */
    public RingLinearOps ring(Ring ring) {
        synchronized (ringOps) {
            return ringOps.computeIfAbsent(ring, r -> new RingLinearOps(config, weights, r));
        }
    }

    @Override
    public long extraBytes() {
        synchronized (ringOps) {
            return ringOps.values().stream().mapToLong(RingLinearOps::byteSize).sum();
        }
    }

    @Override
    public String describe() {
        return "java";
    }
}
