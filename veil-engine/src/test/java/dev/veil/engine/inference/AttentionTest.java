package dev.veil.engine.inference;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.veil.engine.model.LlamaConfig;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Prefill attention's tiled path gives the per-head path's bits (the decode path, one dot product and one axpy per
 * position), at whatever width this JVM runs (the build runs it at 512, 256 under AVX2, and 128 bits): head
 * dimensions of 1 to 8 partial-sum terms, odd and even vector counts, groups of 1 to 7 heads (4 per tile, the last
 * repeated), F32 and F16 caches, a first chunk and a later one; compared again after enough calls that C2 has
 * compiled the kernels.
 */
@Tag("vector")
class AttentionTest {
    @ParameterizedTest
    @CsvSource({
        "4, 1, 64, 0, 40, F32",    // the 1B shape's group and head width, first chunk
        "4, 1, 64, 37, 29, F32",   // a later chunk: positions not a multiple of the block
        "8, 2, 16, 5, 9, F32",     // one term per partial sum
        "7, 1, 48, 3, 17, F32",    // group of 7 (a tile with a repeated head), 3 terms
        "2, 2, 80, 0, 12, F32",    // group of 1; 80 = 5 vectors at 512 bits (the odd one repeated)
        "6, 2, 128, 11, 24, F16",  // 8 terms, groups of 3, F16 cache
        "4, 1, 64, 20, 33, F16",
    })
    void tiledGivesThePerHeadBits(int heads, int kvHeads, int headDim, int start, int n, KVCache.Type type) {
        var c = new LlamaConfig("llama", heads * headDim, 4, 1, heads, kvHeads, headDim, 16, 256, 1e-5f, 10000f,
                LlamaConfig.RopeStyle.ADJACENT, null, false);
        var cache = new KVCache(c, start + n, type);
        var random = new Random(heads * 31 + headDim + start);
        int qkvDim = Projection.QKV.outDim(c);
        float[] qkv = new float[n * qkvDim];
        for (int i = 0; i < qkv.length; i++) qkv[i] = (float) (3 * random.nextGaussian());
        float[] row = new float[c.kvDim()];
        for (int t = 0; t < start + n; t++) {  // earlier positions' keys and values, then the call's own
            for (boolean key : new boolean[] {true, false}) {
                for (int i = 0; i < row.length; i++) row[i] = (float) random.nextGaussian();
                if (t >= start) System.arraycopy(qkv, (t - start) * qkvDim + c.qDim() + (key ? 0 : c.kvDim()), row, 0, row.length);
                cache.store(0, key, row, 0, t * c.kvDim(), row.length);
            }
        }
        float[] perHead = new float[n * c.qDim()], tiled = new float[n * c.qDim()];
        java.util.Arrays.fill(tiled, Float.NaN);  // every output written
        var attention = new Attention(c);
        for (int round = 0; round < 150; round++) {
            attention.apply(cache, 0, qkv, perHead, n, start, false);
            attention.apply(cache, 0, qkv, tiled, n, start, true);
            if (round % 50 == 0 || round == 149) {
                for (int i = 0; i < perHead.length; i++) {
                    int at = i;
                    assertEquals(Float.floatToRawIntBits(perHead[i]), Float.floatToRawIntBits(tiled[i]),
                            () -> "row " + at / c.qDim() + ", value " + at % c.qDim() + ": " + perHead[at] + " vs " + tiled[at]);
                }
            }
        }
    }
}
