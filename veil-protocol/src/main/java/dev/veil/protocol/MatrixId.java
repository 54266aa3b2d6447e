package dev.veil.protocol;

import dev.veil.engine.inference.Projection;

/** One outsourced weight matrix (fused projections count as one): the projection and its layer (0 for LM_HEAD). */
public record MatrixId(Projection projection, int layer) {
    public MatrixId {
        if (projection == null || layer < 0) throw new IllegalArgumentException("bad matrix id " + projection + "/" + layer);
        if (!projection.perLayer() && layer != 0) throw new IllegalArgumentException(projection + " has no layer " + layer);
    }

    @Override
    public String toString() {
        return projection.perLayer() ? projection + "[" + layer + "]" : projection.toString();
    }
}
