package dev.veil.node.cmif;

import dev.veil.engine.tensor.F32Tensor;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;

/**
 * For every id of an {@link EmbeddingSpace}, its K nearest eligible ids by cosine similarity (itself first when
 * eligible), with the similarities min-max normalized to [0, 1] over the K: CMIF's candidate lists and scores.
 * Computed once per space and K, then cached on disk, sealed ({@link CacheSeal}); what is loaded is checked for
 * structure and by recomputing a few rows chosen at random, and recomputed (with a warning) if it fails.
 */
public final class Neighbors {
    private static final int MAGIC = 0x564E4232; // "VNB2": sealed
    private static final int BLOCK = 64;
    private static final int SPOT_ROWS = 16;

    private final int k;
    private final int[] ids;       // size × k, by decreasing similarity
    private final float[] scores;  // size × k, normalized to [0, 1]

    private Neighbors(int k, int[] ids, float[] scores) {
        this.k = k;
        this.ids = ids;
        this.scores = scores;
    }

    public int k() { return k; }

    /** The j-th candidate of id x (j = 0 is the most similar). */
    public int candidate(int x, int j) { return ids[x * k + j]; }

    /** Its normalized score in [0, 1] (1 for the most similar). */
    public float score(int x, int j) { return scores[x * k + j]; }

    /** The candidates of x, as ids. */
    public int[] candidates(int x) { return Arrays.copyOfRange(ids, x * k, x * k + k); }

    /** Loads from {@code cacheDir} or computes and stores there. */
    public static Neighbors of(EmbeddingSpace space, int k, Path cacheDir) {
        int eligible = 0;
        for (int i = 0; i < space.size(); i++) if (space.eligible(i)) eligible++;
        if (k < 2 || k > eligible) throw new IllegalArgumentException("K must be in 2.." + eligible + ", got " + k);
        Path file = cacheDir.resolve("neighbors-" + space.fingerprint() + "-k" + k + ".bin");
        var seal = CacheSeal.of(cacheDir);
        String context = "veil-neighbors-v2|" + space.fingerprint() + "|k" + k;
        if (Files.isRegularFile(file)) {
            try {
                Neighbors n = read(seal.open(context, Files.readAllBytes(file)), space.size(), k);
                n.verify(space, new java.security.SecureRandom().ints(SPOT_ROWS, 0, space.size()).toArray());
                return n;
            } catch (IOException | RuntimeException e) {
                CacheSeal.warn("candidate cache " + file + " failed verification (" + e.getMessage() + "); recomputing it");
            }
        }
        Neighbors n = compute(space, k);
        n.write(file, seal, context);
        return n;
    }

    /**
     * Checks loaded lists against what {@link #compute} makes: for every id, K distinct eligible candidates (itself first
     * when eligible) with scores in [0, 1], non-increasing, spanning [0, 1] (or all 1); and for the ids {@code spot}
     * (a few drawn at random, unknown to whoever wrote the file), that the candidates are the K most similar up to
     * rounding and their scores the normalized similarities. Throws IOException saying what is wrong.
     */
    void verify(EmbeddingSpace space, int[] spot) throws IOException {
        int n = space.size();
        int[] seen = new int[n];
        java.util.Arrays.fill(seen, -1);
        for (int x = 0; x < n; x++) {
            if (space.eligible(x) && ids[x * k] != x) throw new IOException("token " + x + " is not its own first candidate");
            for (int j = 0; j < k; j++) {
                int y = ids[x * k + j];
                float s = scores[x * k + j];
                if (y < 0 || y >= n || !space.eligible(y)) throw new IOException("token " + x + " has an ineligible candidate");
                if (seen[y] == x) throw new IOException("token " + x + " lists candidate " + y + " twice");
                seen[y] = x;
                if (!(s >= 0 && s <= 1) || (j > 0 && s > scores[x * k + j - 1])) throw new IOException("token " + x + " has bad scores");
            }
            float first = scores[x * k], last = scores[x * k + k - 1];
            if (first != 1f || !(last == 0f || last == 1f)) throw new IOException("token " + x + "'s scores are not normalized");
        }
        float[] unit = space.unitRows();
        int dim = space.dim();
        for (int x : spot) spotCheck(space, unit, dim, x);
    }

    /** Recomputes row x's similarities and checks its candidates and scores against them. */
    private void spotCheck(EmbeddingSpace space, float[] unit, int dim, int x) throws IOException {
        int n = space.size();
        float[] cos = new float[n];
        for (int y = 0; y < n; y++) {
            float d = 0;
            for (int i = 0; i < dim; i++) d += unit[x * dim + i] * unit[y * dim + i];
            cos[y] = y == x ? 1f : Math.clamp(d, -1f, 1f);
        }
        boolean[] listed = new boolean[n];
        float lowest = Float.POSITIVE_INFINITY, max = Float.NEGATIVE_INFINITY;
        for (int j = 0; j < k; j++) {
            int y = ids[x * k + j];
            listed[y] = true;
            lowest = Math.min(lowest, cos[y]);
            max = Math.max(max, cos[y]);
        }
        for (int y = 0; y < n; y++) {
            if (space.eligible(y) && !listed[y] && cos[y] > lowest + TOLERANCE) {
                throw new IOException("token " + x + "'s candidates are not its " + k + " nearest tokens");
            }
        }
        for (int j = 0; j < k; j++) { // compared as similarities: near-parallel rows make the normalized scores ill-conditioned
            float similarity = lowest + scores[x * k + j] * (max - lowest);
            if (Math.abs(similarity - cos[ids[x * k + j]]) > TOLERANCE) {
                throw new IOException("token " + x + "'s scores are not its similarities");
            }
        }
    }

    private static final float TOLERANCE = 1e-4f; // float rounding between the blocked kernel and a plain dot product

    static Neighbors compute(EmbeddingSpace space, int k) {
        int n = space.size(), dim = space.dim();
        float[] u = space.unitRows();
        F32Tensor unit = F32Tensor.of(u);
        int[] ids = new int[n * k];
        float[] cos = new float[n * k];
        float[] sims = new float[BLOCK * n];
        for (int from = 0; from < n; from += BLOCK) {
            int rows = Math.min(BLOCK, n - from);
            float[] x = Arrays.copyOfRange(u, from * dim, (from + rows) * dim);
            unit.matmul(x, rows, n, dim, sims, n, 0);
            for (int r = 0; r < rows; r++) topK(space, from + r, sims, r * n, n, k, ids, cos);
        }
        return new Neighbors(k, ids, normalize(k, cos));
    }

    /** The k most similar eligible ids of row x (itself first when eligible), into ids/cos[x·k ...]. */
    private static void topK(EmbeddingSpace space, int x, float[] sims, int off, int n, int k, int[] ids, float[] cos) {
        int[] top = TopK.select(sims, off, n, k, space::eligible, x);
        for (int i = 0; i < k; i++) {
            ids[x * k + i] = top[i];
            // Rounding can put a parallel row's cosine above 1; none may outrank the token itself.
            cos[x * k + i] = top[i] == x ? 1f : Math.clamp(sims[off + top[i]], -1f, 1f);
        }
    }

    private static float[] normalize(int k, float[] cos) {
        float[] s = new float[cos.length];
        for (int x = 0; x < cos.length / k; x++) {
            float max = Float.NEGATIVE_INFINITY, min = Float.POSITIVE_INFINITY;
            for (int j = 0; j < k; j++) {
                max = Math.max(max, cos[x * k + j]);
                min = Math.min(min, cos[x * k + j]);
            }
            for (int j = 0; j < k; j++) s[x * k + j] = max > min ? (cos[x * k + j] - min) / (max - min) : 1f;
        }
        return s;
    }

    private void write(Path file, CacheSeal seal, String context) {
        try {
            Files.createDirectories(file.getParent());
            var bytes = new java.io.ByteArrayOutputStream();
            try (var out = new DataOutputStream(bytes)) {
                out.writeInt(MAGIC);
                out.writeInt(ids.length / k);
                out.writeInt(k);
                for (int id : ids) out.writeInt(id);
                for (float s : scores) out.writeFloat(s);
            }
            Path tmp = Files.createTempFile(file.getParent(), "neighbors", ".tmp");
            Files.write(tmp, seal.seal(context, bytes.toByteArray()));
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the candidate cache " + file + ": " + e.getMessage(), e);
        }
    }

    private static Neighbors read(byte[] payload, int n, int k) throws IOException {
        try (var in = new DataInputStream(new java.io.ByteArrayInputStream(payload))) {
            if (in.readInt() != MAGIC || in.readInt() != n || in.readInt() != k) throw new IOException("stale cache");
            int[] ids = new int[n * k];
            float[] scores = new float[n * k];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = in.readInt();
                if (ids[i] < 0 || ids[i] >= n) throw new IOException("bad id in cache");
            }
            for (int i = 0; i < scores.length; i++) scores[i] = in.readFloat();
            return new Neighbors(k, ids, scores);
        }
    }
}
