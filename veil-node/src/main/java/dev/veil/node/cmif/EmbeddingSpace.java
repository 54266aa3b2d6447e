package dev.veil.node.cmif;

import dev.veil.engine.model.Model;
import dev.veil.engine.tokenizer.Tokenizer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;

/**
 * The vocabulary a sanitizer works over: one vector per id (a model's embedding rows, or GloVe word vectors),
 * a label per id, and which ids may be output (a token-level sanitizer never emits BOS, EOS or unknown).
 * Immutable.
 */
public final class EmbeddingSpace {
    private final String[] labels;
    private final float[] vectors;
    private final int dim;
    private final boolean[] eligible;
    private final Map<String, Integer> ids = new HashMap<>();
    private final String fingerprint;

    /** @param vectors labels.length × dim, row-major */
    public EmbeddingSpace(String[] labels, float[] vectors, int dim, boolean[] eligible) {
        if (dim <= 0 || vectors.length != (long) labels.length * dim || eligible.length != labels.length) {
            throw new IllegalArgumentException("embedding space needs " + labels.length + " × " + dim + " values and flags");
        }
        this.labels = labels;
        this.vectors = vectors;
        this.dim = dim;
        this.eligible = eligible;
        for (int i = 0; i < labels.length; i++) ids.putIfAbsent(labels[i], i);
        this.fingerprint = digest();
    }

    /** The token embedding table of a model; BOS, EOS and unknown are not eligible outputs. */
    public static EmbeddingSpace fromModel(Model model) {
        if (model.node() == null) throw new IllegalArgumentException("model was loaded without its embedding table");
        int n = model.config().vocabSize(), dim = model.config().dim();
        float[] v = new float[n * dim];
        for (int t = 0; t < n; t++) model.node().tokenEmbedding().copyRow(t, dim, v, t * dim);
        Tokenizer tok = model.tokenizer();
        String[] labels = new String[n];
        boolean[] eligible = new boolean[n];
        for (int t = 0; t < n; t++) {
            labels[t] = tok.piece(t);
            eligible[t] = t != tok.bos() && t != tok.eos() && !labels[t].equals("<unk>");
        }
        return new EmbeddingSpace(labels, v, dim, eligible);
    }

    public int size() { return labels.length; }

    public int dim() { return dim; }

    public String label(int id) { return labels[id]; }

    /** Id of a label, or -1. */
    public int id(String label) {
        return ids.getOrDefault(label, -1);
    }

    public boolean eligible(int id) { return eligible[id]; }

    /** Component i of vector id. */
    public float get(int id, int i) { return vectors[id * dim + i]; }

    /** A copy of vector id. */
    public float[] vector(int id) {
        float[] v = new float[dim];
        System.arraycopy(vectors, id * dim, v, 0, dim);
        return v;
    }

    /** All vectors (size × dim, row-major); the array is shared, do not modify. */
    float[] rows() {
        return vectors;
    }

    /** Rows scaled to unit length (zero rows stay zero): cosine similarity becomes a dot product. */
    float[] unitRows() {
        float[] u = vectors.clone();
        for (int r = 0; r < labels.length; r++) {
            double ss = 0;
            for (int i = 0; i < dim; i++) ss += (double) u[r * dim + i] * u[r * dim + i];
            float inv = ss > 0 ? (float) (1 / Math.sqrt(ss)) : 0f;
            for (int i = 0; i < dim; i++) u[r * dim + i] *= inv;
        }
        return u;
    }

    /** SHA-256 of labels, vectors and flags: names on-disk caches derived from this space. */
    public String fingerprint() { return fingerprint; }

    private String digest() {
        try {
            var md = MessageDigest.getInstance("SHA-256");
            var b = ByteBuffer.allocate(vectors.length * 4 + 8).order(ByteOrder.LITTLE_ENDIAN);
            b.putInt(labels.length).putInt(dim);
            for (float f : vectors) b.putFloat(f);
            md.update(b.array());
            for (int i = 0; i < labels.length; i++) {
                md.update(labels[i].getBytes(java.nio.charset.StandardCharsets.UTF_8));
                md.update((byte) (eligible[i] ? 1 : 2));
            }
            return HexFormat.of().formatHex(md.digest(), 0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
