package dev.veil.attack;

/**
 * One call as the weights server saw it: {@code rows} input rows it received and the rows it returned, both
 * row-major. For a linear projection the server received Ê (masked, or plain without protection) and returned
 * Ê·Wᵀ; for CMIF's decoder stack it received input embeddings and returned final hidden states.
 */
public record Exchange(Site site, int layer, int rows, float[] received, float[] returned) {
    public Exchange {
        if (rows <= 0 || received.length % rows != 0 || (returned != null && returned.length % rows != 0)) {
            throw new IllegalArgumentException("exchange at " + site + " layer " + layer + ": " + received.length
                    + " received values do not split into " + rows + " rows");
        }
    }

    public int inDim() {
        return received.length / rows;
    }

    public int outDim() {
        return returned == null ? 0 : returned.length / rows;
    }
}
