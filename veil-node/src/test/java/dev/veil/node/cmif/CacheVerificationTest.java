package dev.veil.node.cmif;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cached candidate lists and token counts are verified when loaded: a tampered cache (which could turn
 * sanitization off with the same ε reported) is recomputed with a one-line warning.
 */
class CacheVerificationTest {
    @TempDir Path cache;

    /** Runs {@code body}, returning what it wrote to stderr. */
    private static <T> String stderr(Callable<T> body, T[] result) throws Exception {
        var err = new ByteArrayOutputStream();
        PrintStream saved = System.err;
        try {
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            result[0] = body.call();
        } finally {
            System.setErr(saved);
        }
        return err.toString(StandardCharsets.UTF_8);
    }

    private Path only(String prefix) throws Exception {
        try (var files = Files.list(cache)) {
            return files.filter(f -> f.getFileName().toString().startsWith(prefix)).findFirst().orElseThrow();
        }
    }

    /** Every token's list made to favour the token itself absolutely: scores 1, 0, 0, … (RNM then keeps every token). */
    private static void favourSelf(byte[] payload, int n, int k) {
        var b = ByteBuffer.wrap(payload);
        int scores = 12 + n * k * 4;
        for (int x = 0; x < n; x++) for (int j = 0; j < k; j++) b.putFloat(scores + (x * k + j) * 4, j == 0 ? 1f : 0f);
    }

    /** Recomputed lists: every row checked against its similarities, and not the tampered scores. */
    private static void assertRecomputed(Neighbors actual, EmbeddingSpace space) throws Exception {
        actual.verify(space, java.util.stream.IntStream.range(0, space.size()).toArray());
        int[] x = {3, 100, 300};
        for (int t : x) assertTrue(actual.score(t, 1) > 0, "token " + t + "'s second candidate scored 0, as tampered");
    }

    @Test
    void tamperedCandidateListsAreRecomputedWithAWarning() throws Exception {
        var space = Fixtures.stories();
        int n = space.size(), k = 20;
        Neighbors.of(space, k, cache);
        Path file = only("neighbors-");
        Neighbors[] loaded = new Neighbors[1];
        assertEquals("", stderr(() -> Neighbors.of(space, k, cache), loaded), "an intact cache loads silently");
        assertRecomputed(loaded[0], space);

        // Edited in place: the seal no longer matches.
        byte[] sealed = Files.readAllBytes(file);
        favourSelf(sealed, n, k);
        Files.write(file, sealed);
        String warning = stderr(() -> Neighbors.of(space, k, cache), loaded);
        assertTrue(warning.startsWith("veil: warning: candidate cache " + file + " failed verification (its seal does not match")
                && warning.endsWith("recomputing it\n") && warning.lines().count() == 1, warning);
        assertRecomputed(loaded[0], space);

        // Resealed by someone holding the key: structurally valid, but the spot checks see scores that are not similarities.
        var seal = CacheSeal.of(cache);
        String context = "veil-neighbors-v2|" + space.fingerprint() + "|k" + k;
        byte[] payload = seal.open(context, Files.readAllBytes(file));
        favourSelf(payload, n, k);
        Files.write(file, seal.seal(context, payload));
        warning = stderr(() -> Neighbors.of(space, k, cache), loaded);
        assertTrue(warning.contains("scores are not its similarities") || warning.contains("not normalized"), warning);
        assertRecomputed(loaded[0], space);

        // A cache sealed for other inputs (here K = 20's file offered as another space's) does not open.
        try {
            seal.open("veil-neighbors-v2|" + space.fingerprint() + "|k21", Files.readAllBytes(file));
            throw new AssertionError("opened under the wrong context");
        } catch (java.io.IOException expected) {
            // the seal binds the inputs
        }
    }

    @Test
    void tamperedTokenCountsAreRecountedWithAWarning() throws Exception {
        var space = Fixtures.stories();
        var tok = Fixtures.model().tokenizer();
        Path corpus = cache.resolve("corpus.txt");
        Files.write(corpus, Fixtures.sst2Sentences().subList(0, 300));
        long[] fresh = CorpusCounts.of(space, corpus, tok::encode, cache);
        Path file = only("counts-");
        // Every count raised: no token is rare any more, which empties the sensitive set.
        byte[] sealed = Files.readAllBytes(file);
        var b = ByteBuffer.wrap(sealed);
        for (int i = 0; i < space.size(); i++) b.putLong(8 + i * 8, 1_000_000);
        Files.write(file, sealed);
        long[][] loaded = new long[1][];
        String warning = stderr(() -> CorpusCounts.of(space, corpus, tok::encode, cache), loaded);
        assertTrue(warning.startsWith("veil: warning: token-count cache " + file + " failed verification") && warning.lines().count() == 1,
                warning);
        assertArrayEquals(fresh, loaded[0]);
        assertEquals("", stderr(() -> CorpusCounts.of(space, corpus, tok::encode, cache), loaded), "the recount is sealed again");
        assertArrayEquals(fresh, loaded[0]);
    }
}
