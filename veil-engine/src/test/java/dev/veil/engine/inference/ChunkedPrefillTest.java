package dev.veil.engine.inference;

import static org.junit.jupiter.api.Assertions.*;

import dev.veil.engine.model.ModelLoader;
import dev.veil.engine.model.ModelShape;
import dev.veil.engine.model.RandomModels;
import dev.veil.engine.tensor.GGMLType;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

/** A long prompt runs in chunks of at most {@link Forward#MAX_ROWS} rows; where the chunks fall changes no bit. */
class ChunkedPrefillTest {
    static final java.util.List<GGMLType> TYPES = java.util.List.copyOf(GGMLType.SUPPORTED);

    @TempDir static Path dir;

    @ParameterizedTest
    @FieldSource("TYPES")
    void chunkBoundariesChangeNothing(GGMLType type) throws Exception {
        var model = ModelLoader.load(RandomModels.cached(ModelShape.named("tiny-llama"), type, 5, dir), null);
        var forward = new Forward(model.config(), model.node(), new LocalLinearOps(model.config(), model.linear()));
        int n = 250;
        int[] tokens = new Random(7).ints(n, 0, model.config().vocabSize()).toArray();

        var whole = new KVCache(model.config(), n);  // 250 rows: chunks of 125
        float[] expected = forward.next(tokens, whole).clone();
        assertTrue(whole.activations.rows <= Forward.MAX_ROWS, "working arrays of " + whole.activations.rows + " rows");

        var split = new KVCache(model.config(), n);  // 37 rows, then 213: chunks of 106 and 107
        forward.next(java.util.Arrays.copyOf(tokens, 37), split);
        float[] actual = forward.next(java.util.Arrays.copyOfRange(tokens, 37, n), split);

        assertArrayEquals(expected, actual);
        assertEquals(n, split.length);
        int values = n * model.config().kvDim();
        for (int l = 0; l < model.config().layers(); l++) {
            assertTrue(java.util.Arrays.equals(whole.keys[l], 0, values, split.keys[l], 0, values), "keys of layer " + l);
            assertTrue(java.util.Arrays.equals(whole.values[l], 0, values, split.values[l], 0, values), "values of layer " + l);
        }
    }

    @ParameterizedTest
    @FieldSource("TYPES")
    void aPromptBeyondTheContextLeavesTheCacheAsItWas(GGMLType type) throws Exception {
        var model = ModelLoader.load(RandomModels.cached(ModelShape.named("tiny-llama"), type, 5, dir), null);
        var forward = new Forward(model.config(), model.node(), new LocalLinearOps(model.config(), model.linear()));
        var cache = new KVCache(model.config(), 200);
        forward.next(new int[] {1, 2, 3}, cache);
        var e = assertThrows(IllegalArgumentException.class, () -> forward.next(new int[198], cache));
        assertEquals("sequence of 201 tokens exceeds the context of 200", e.getMessage());
        int[] bad = new int[150];
        bad[140] = -1;
        assertThrows(IllegalArgumentException.class, () -> forward.next(bad, cache));
        assertEquals(3, cache.length);
    }
}
