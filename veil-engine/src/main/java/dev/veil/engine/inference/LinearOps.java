package dev.veil.engine.inference;

/**
 * Every multiplication of an activation by a weight matrix goes through this interface, and nothing else in
 * the forward pass touches a weight matrix. {@link LocalLinearOps} computes in place; the split runtime
 * plugs in implementations that mask the input and send it to a weights server.
 */
public interface LinearOps {
    /**
     * out[n × p.outDim] = x[n × p.inDim] · Wᵀ, for the weight matrix (or fused matrices) {@code p} of {@code layer}.
     * x and out are row-major; out may hold more than n rows.
     */
    void apply(Projection p, int layer, float[] x, int n, float[] out);
}
