package dev.veil.node.cmif;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What ε covers, said wherever it is reported; the every-pair mechanism; Δ that breaks the bound; the budget. */
class PrivacyGuaranteeTest {
    @TempDir Path cache;

    private int[] prompt() {
        return Fixtures.model().tokenizer().encode("Once upon a time, a little girl named Lily found a shiny red ball in the park.");
    }

    @Test
    void aDeltaBelowTheScoresSensitivityIsRefused() {
        // Scores span [0, 1]: Δ = 0.01 would cut the noise 100-fold with the same ε reported.
        var e = assertThrows(IllegalArgumentException.class, () -> new SanitizerParams(1, 20, 0.3, 0.01, 0.2));
        assertTrue(e.getMessage().startsWith("Δ must be at least 1"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
        assertThrows(IllegalArgumentException.class, () -> new SanitizerParams(1, 20, 0.3, 0.999, 0.2));
        assertEquals(4.0, new SanitizerParams(1, 20, 0.3, 4, 0.2).delta(), "a larger Δ only adds noise");
    }

    @Test
    void rnmReportsThatItsEpsilonHoldsOnlyWithinACandidateListAndCountsVerbatimTokens() {
        var space = Fixtures.stories();
        var rnm = (ReportNoisyMax) Sanitizers.create("rnm", space, Fixtures.counts(), new SanitizerParams(1, 20, 0.0, 1, 0.2), cache);
        // Two real tokens whose lists differ: an output of x that is not among x′'s candidates has probability 0 under x′.
        int x = prompt()[3];
        var candidates = java.util.Arrays.stream(rnm.neighbors().candidates(x)).boxed().toList();
        int other = -1;
        for (int y = 0; y < space.size() && other < 0; y++) {
            if (space.eligible(y) && !candidates.contains(y)) other = y;
        }
        assertTrue(other >= 0 && !java.util.Arrays.stream(rnm.neighbors().candidates(other)).boxed().toList().contains(x),
                "a token outside x's list whose own list misses x: P[x | other] = 0 < P[x | x], an unbounded ratio");

        int[] ids = prompt();
        var out = rnm.sanitize(ids, ExactRandom.seeded(3));
        var g = out.guarantee();
        var sensitive = SensitiveSet.leastFrequent(space, Fixtures.counts(), 0.2);
        int expectedMechanized = (int) java.util.Arrays.stream(ids).filter(sensitive::contains).count();
        assertEquals(expectedMechanized, g.mechanizedTokens());
        assertEquals(ids.length - expectedMechanized, g.verbatimTokens(), "with p = 0 every non-sensitive token is sent as it is");
        assertEquals(Guarantee.Scope.SHARED_CANDIDATES, g.scope());
        assertFalse(g.coversEveryToken());
        String line = out.spendLine();
        assertTrue(line.contains("ε holds only between tokens with the same candidate list") && line.contains(g.verbatimTokens()
                + " tokens sent verbatim, not covered"), line);
    }

    @Test
    void theExponentialMechanismsEpsilonHoldsBetweenEveryPairOfTokens() {
        var space = Fixtures.stories();
        double epsilon = 1.0;
        var em = (VocabularyExponentialMechanism) Sanitizers.create("em", space, Fixtures.counts(), SanitizerParams.defaults(epsilon),
                cache);
        int[] outputs = em.outputs();
        double[][] p = new double[space.size()][];
        for (int x : outputs) p[x] = em.probabilities(x);
        // The exact worst-case privacy loss over every pair of eligible inputs and every output.
        double worst = 0;
        for (int j = 0; j < outputs.length; j++) {
            double max = 0, min = 1;
            for (int x : outputs) {
                max = Math.max(max, p[x][j]);
                min = Math.min(min, p[x][j]);
            }
            worst = Math.max(worst, Math.log(max / min));
        }
        assertTrue(worst <= epsilon + 1e-9 && worst > epsilon / 4, "worst privacy loss " + worst + " against ε " + epsilon);

        // Every user token goes through it, and the sampler draws from those exact probabilities.
        int[] ids = prompt();
        var out = em.sanitize(ids, ExactRandom.seeded(5));
        assertEquals(ids.length, out.guarantee().mechanizedTokens());
        assertEquals(0, out.guarantee().verbatimTokens());
        assertTrue(out.guarantee().coversEveryToken());
        assertTrue(out.spendLine().contains("(em: ε holds between any two eligible tokens)"), out.spendLine());
        int x = ids[2];
        long[] counts = new long[outputs.length];
        int[] index = new int[space.size()];
        for (int j = 0; j < outputs.length; j++) index[outputs[j]] = j;
        var random = ExactRandom.seeded(6);
        for (int i = 0; i < 200_000; i++) counts[index[em.choose(x, random)]]++;
        Stats.assertFits("em", counts, p[x]);
    }

    @Test
    void theBudgetComposesRequestsPerClientAndRefusesPastItsLimit() {
        var budget = new PrivacyBudget(5.0);
        assertEquals(2.0, budget.charge("alice", 2.0).spent());
        assertEquals(4.0, budget.charge("alice", 2.0).spent());
        var e = assertThrows(PrivacyBudget.ExceededException.class, () -> budget.charge("alice", 2.0));
        assertEquals("privacy budget exceeded: this request would spend ε 2.0, and client 'alice' has 1.000 of its ε 5.000 left; refused",
                e.getMessage());
        assertEquals(4.0, budget.spent("alice"), "a refused request spends nothing");
        assertEquals(5.0, budget.charge("alice", 1.0).spent(), "what is left can still be spent");
        assertEquals(1.0, budget.charge("bob", 1.0).spent(), "clients are independent");
        assertThrows(PrivacyBudget.ExceededException.class, () -> budget.charge("bob", Double.POSITIVE_INFINITY), "sanitization off");
        assertThrows(IllegalArgumentException.class, () -> budget.charge(null, 1.0));
        assertThrows(IllegalArgumentException.class, () -> new PrivacyBudget(Double.POSITIVE_INFINITY));
        // Many small charges never add up to less than their sum (ε 0.1 is not a binary fraction).
        var tenths = new PrivacyBudget(1.0);
        int accepted = 0;
        for (int i = 0; i < 20; i++) {
            try {
                tenths.charge("c", 0.1);
                accepted++;
            } catch (PrivacyBudget.ExceededException ex) {
                // past the limit
            }
        }
        assertTrue(accepted <= 10, "accepted " + accepted + " charges of 0.1 within 1.0");
    }

    @Test
    void theVerbatimShareIsTheHeadlineAndNeverRoundsAwayAToken() {
        var scope = Guarantee.Scope.SHARED_CANDIDATES;
        var g = Guarantee.of("rnm", 1.0, 11, 21, scope);
        assertEquals("66% of prompt tokens sent verbatim (21 of 32)", g.verbatimLine());
        assertEquals(21 / 32.0, g.verbatimShare());
        assertEquals("1% of prompt tokens sent verbatim (1 of 300)", Guarantee.of("rnm", 1.0, 299, 1, scope).verbatimLine());
        assertEquals("99% of prompt tokens sent verbatim (299 of 300)", Guarantee.of("rnm", 1.0, 1, 299, scope).verbatimLine());
        assertEquals("0% of prompt tokens sent verbatim (0 of 0)", Guarantee.of("rnm", 1.0, 0, 0, scope).verbatimLine());
        var off = Guarantee.of("rnm", Double.POSITIVE_INFINITY, 5, 0, scope); // marked, but sent as they are
        assertEquals("100% of prompt tokens sent verbatim (5 of 5): sanitization off", off.verbatimLine());
        assertEquals(1.0, off.verbatimShare());
    }

    @Test
    void theBudgetIsExactUnderConcurrentRequests() throws Exception {
        var budget = new PrivacyBudget(100.0);
        var accepted = new AtomicInteger();
        var start = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            threads.add(Thread.ofPlatform().start(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    return;
                }
                for (int i = 0; i < 100; i++) {
                    try {
                        budget.charge("shared-key", 0.5);
                        accepted.incrementAndGet();
                    } catch (PrivacyBudget.ExceededException e) {
                        // past the limit
                    }
                }
            }));
        }
        start.countDown();
        for (Thread t : threads) t.join();
        assertEquals(200, accepted.get(), "800 attempts of ε 0.5 against a budget of 100");
        assertEquals(100.0, budget.spent("shared-key"));
    }
}
