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
 * Computed once per space and K, then cached on disk.
 */
public final class Neighbors {
    private static final int MAGIC = 0x564E4231; // "VNB1"
    private static final int BLOCK = 64;

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
        if (Files.isRegularFile(file)) {
            try {
                return read(file, space.size(), k);
            } catch (IOException | RuntimeException e) {
                // A damaged cache is recomputed, never trusted.
            }
        }
        Neighbors n = compute(space, k);
        n.write(file);
        return n;
    }

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

    private void write(Path file) {
        try {
            Files.createDirectories(file.getParent());
            Path tmp = Files.createTempFile(file.getParent(), "neighbors", ".tmp");
            try (var out = new DataOutputStream(new java.io.BufferedOutputStream(Files.newOutputStream(tmp)))) {
                out.writeInt(MAGIC);
                out.writeInt(ids.length / k);
                out.writeInt(k);
                for (int id : ids) out.writeInt(id);
                for (float s : scores) out.writeFloat(s);
            }
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the candidate cache " + file + ": " + e.getMessage(), e);
        }
    }

    private static Neighbors read(Path file, int n, int k) throws IOException {
        try (var in = new DataInputStream(new java.io.BufferedInputStream(Files.newInputStream(file)))) {
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
