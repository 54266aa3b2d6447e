package dev.veil.node.cmif;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.veil.engine.inference.Sampler;
import dev.veil.engine.model.Model;
import dev.veil.weights.InProcessWeightsServer;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Consistent sanitization (issue 23): a tenant's repeated prompt gives the server the same copy, so voting over copies
 * gains nothing; a varied opening changes the draws only within the window; tenants never share draws.
 */
class ConsistentDrawsTest {
    @TempDir static Path dir;
    static Sanitizer rnm;
    static int[] sentence;
    static final byte[] SECRET = new byte[32];

    @BeforeAll
    static void setUp() {
        new SecureRandom().nextBytes(SECRET);
        // p = 1: every token goes through the mechanism, so every position shows its draw
        rnm = Sanitizers.create("rnm", Fixtures.stories(), Fixtures.counts(), new SanitizerParams(1.0, 20, 1.0, 1.0, 0.2), dir);
        sentence = Fixtures.model().tokenizer().encode("the movie is a charming and often affecting journey of a lonely young girl");
    }

    static int[] sanitized(int[] ids, Draws draws) {
        return rnm.sanitize(ids, draws).ids();
    }

    @Test
    void aTenantsRepeatedPromptIsSanitizedTheSameEveryTimeWhereFreshDrawsDiffer() {
        var alice = ConsistentDraws.of(SECRET, "alice", ConsistentDraws.DEFAULT_WINDOW);
        int[] first = sanitized(sentence, alice);
        assertFalse(Arrays.equals(sentence, first), "at ε 1 some tokens are replaced");
        for (int i = 0; i < 5; i++) assertArrayEquals(first, sanitized(sentence, ConsistentDraws.of(SECRET, "alice", 2)));
        // fresh draws (the old behaviour) hand the server a different copy each time: the vote's material
        var random = ExactRandom.create();
        assertFalse(Arrays.equals(sanitized(sentence, Draws.fresh(random)), sanitized(sentence, Draws.fresh(random))));
        // another tenant, or the same tenant on another node, draws independently
        assertFalse(Arrays.equals(first, sanitized(sentence, ConsistentDraws.of(SECRET, "bob", 2))));
        byte[] other = SECRET.clone();
        other[0] ^= 1;
        assertFalse(Arrays.equals(first, sanitized(sentence, ConsistentDraws.of(other, "alice", 2))));
    }

    @Test
    void anOpeningChangesTheDrawsOnlyWithinTheWindow() {
        int[] opening = Fixtures.model().tokenizer().encode("Please summarise: ");
        for (int window : new int[] {0, 1, 2, 3}) {
            var draws = ConsistentDraws.of(SECRET, "alice", window);
            int[] alone = sanitized(sentence, draws);
            int[] withOpening = new int[opening.length + sentence.length];
            System.arraycopy(opening, 0, withOpening, 0, opening.length);
            System.arraycopy(sentence, 0, withOpening, opening.length, sentence.length);
            int[] after = Arrays.copyOfRange(sanitized(withOpening, draws), opening.length, withOpening.length);
            assertArrayEquals(Arrays.copyOfRange(alone, window, alone.length), Arrays.copyOfRange(after, window, after.length),
                    "window " + window + ": beyond the window the sentence is sanitized as it was without the opening");
        }
    }

    @Test
    void theRegisteredSchemeDrawsConsistentlyPerTenantByDefault() throws Exception {
        Model model = Fixtures.model();
        var corpus = dev.veil.engine.Shared.path("data/sst2/train.tsv");
        var scheme = CmifScheme.of("rnm", new SanitizerParams(1.0, 20, 1.0, 1.0, 0.2), corpus, 2);
        assertTrue(scheme.describe().contains("draws consistent per tenant (window 2)"), scheme.describe());
        assertTrue(new CmifScheme.Type().create(new dev.veil.node.SchemeParams(java.util.Map.of())).describe().contains("consistent"),
                "consistent draws are the default");
        int[] prompt = new int[sentence.length + 1];
        prompt[0] = model.tokenizer().bos();
        System.arraycopy(sentence, 0, prompt, 1, sentence.length);
        boolean[] editable = new boolean[prompt.length];
        Arrays.fill(editable, 1, prompt.length, true);
        try (var node = scheme.open(model, "stories", List.of(new InProcessWeightsServer(model, "stories", null)))) {
            int[] a = shown(node.session("alice"), prompt, editable), again = shown(node.session("alice"), prompt, editable);
            assertArrayEquals(a, again, "the same tenant's same prompt: the same copy");
            assertFalse(Arrays.equals(a, shown(node.session("bob"), prompt, editable)), "another tenant: other draws");
        }
    }

    private static int[] shown(dev.veil.node.Session session, int[] prompt, boolean[] editable) {
        try (session) {
            session.generate(prompt, editable, 1, Sampler.greedy(), t -> {});
            return session.report().serverPrompt();
        }
    }
}
