package dev.veil.attack;

import dev.veil.protocol.Rows;

/**
 * One call as the weights server saw it: the rows it received and the rows it returned, as they travelled
 * (float32, or ring elements in the exact mode). For a linear projection it received Ê (masked, or plain
 * without protection) and returned Ê·Wᵀ; for CMIF's decoder stack it received input embeddings and returned
 * final hidden states.
 */
public record Exchange(Site site, int layer, Rows received, Rows returned) {
    public Exchange {
        if (received.rows() <= 0) throw new IllegalArgumentException("exchange at " + site.label() + " layer " + layer + " has no rows");
        if (returned != null && returned.rows() != received.rows()) {
            throw new IllegalArgumentException("exchange at " + site.label() + " returned " + returned.rows() + " rows for " + received.rows());
        }
    }

    public int rows() {
        return received.rows();
    }

    public int inDim() {
        return received.cols();
    }

    /** The received rows as numbers: floats as they are, ring elements as their signed fixed-point values. */
    public float[] receivedValues() {
        return values(received);
    }

    static float[] values(Rows r) {
        int count = r.rows() * r.cols();
        return switch (r) {
            case Rows.Floats f -> java.util.Arrays.copyOf(f.data(), count);
            case Rows.RingElements e -> {
                float[] out = new float[count];
                double scale = Math.scalb(1.0, -e.ring().fractionBits);
                for (int i = 0; i < count; i++) out[i] = (float) (e.ring().wrap(e.data()[i]) * scale);
                yield out;
            }
        };
    }
}
