package dev.veil.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 23: a budget per tenant, charged exactly what a request spends, and the verbatim share as the answer's headline. */
class TenantBudgetTest {
    /** Only sensitive tokens go through the mechanism (p = 0): a prompt's spend is the same on every request. */
    static final String CMIF = "cmif:p=0";
    static final String PROMPT = "Lily saw a zebra in the garden", SENSITIVE = "Lily"; // one token, a sensitive one
    static final String KEY = "sk-acme-first-key-0001", KEY2 = "sk-acme-second-key-002", OTHER = "sk-other-tenant-key-03";
    static final Pattern HEADLINE = Pattern.compile("(\\d+)% of prompt tokens sent verbatim \\((\\d+) of (\\d+)\\)");

    private static String body(String prompt) {
        return "{\"model\": \"stories260K.bin\", \"prompt\": \"" + prompt + "\", \"max_tokens\": 2}";
    }

    private static HttpResponse<String> ask(TestService t, String key) throws Exception {
        if (key == null) return t.post("/v1/completions", body(PROMPT));
        return t.post("/v1/completions", body(PROMPT), "Authorization", "Bearer " + key);
    }

    /** A request of {@code prompt} without a key. */
    private static HttpResponse<String> complete(TestService t, String prompt) throws Exception {
        return t.post("/v1/completions", body(prompt));
    }

    private static JsonNode veil(HttpResponse<String> r) throws Exception {
        assertEquals(200, r.statusCode(), r.body());
        return TestService.JSON.readTree(r.body()).get("veil");
    }

    /** ε one request of PROMPT spends, and its editable tokens (all but BOS), from a service without a budget. */
    private static double[] spendAndEditable() throws Exception {
        return spendAndEditable(PROMPT);
    }

    private static double[] spendAndEditable(String prompt) throws Exception {
        try (var t = TestService.start(null, 1, 1, 4, Double.POSITIVE_INFINITY, CMIF)) {
            var r = complete(t, prompt);
            int promptTokens = TestService.JSON.readTree(r.body()).at("/usage/prompt_tokens").asInt();
            return new double[] {veil(r).get("epsilon").asDouble(), promptTokens - 1};
        }
    }

    private static void assertRefused(HttpResponse<String> r) throws Exception {
        assertEquals(429, r.statusCode(), r.body());
        assertEquals("privacy_budget_exhausted", TestService.JSON.readTree(r.body()).at("/error/code").asText());
    }

    @Test
    void keysOfOneTenantShareItsBudget(@TempDir Path dir) throws Exception {
        double spend = spendAndEditable()[0];
        assertTrue(spend > 0, "the prompt must have a sensitive token");
        Path keys = Files.writeString(dir.resolve("keys"), "# acme has two keys\nacme: " + KEY + "\nacme:\t" + KEY2 + "\n" + OTHER + "\n");
        try (var t = TestService.start(ApiKeys.read(keys), 2, 2, 4, spend, CMIF)) { // one request's worth per tenant
            assertEquals(0.0, veil(ask(t, KEY)).get("epsilon_budget_left").asDouble());
            assertRefused(ask(t, KEY2)); // a second key of the same tenant mints no budget
            assertEquals(0.0, veil(ask(t, OTHER)).get("epsilon_budget_left").asDouble(), "a plain key line is a tenant of its own");
        }
    }

    @Test
    void aKeysFileNamesEachKeysTenantUnambiguously(@TempDir Path dir) throws Exception {
        Path keys = Files.writeString(dir.resolve("keys"), "acme: " + KEY + "\n" + OTHER + "\nacme: " + KEY2 + "\n");
        var read = ApiKeys.read(keys);
        assertEquals(List.of(3, 2), List.of(read.size(), read.tenants()));
        assertEquals(List.of("acme", "key-2", "acme"), List.of(read.client("Bearer " + KEY), read.client("Bearer " + OTHER),
                read.client("Bearer " + KEY2)));
        for (String bad : List.of("key-1: " + KEY, "x".repeat(65) + ": " + KEY, "a/b: " + KEY, "acme: " + KEY + "\nbeta: " + KEY)) {
            Files.writeString(keys, bad + "\n");
            var e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> ApiKeys.read(keys), bad);
            assertTrue(e.getMessage().startsWith(keys + ":"), e.getMessage());
        }
    }

    @Test
    void aTenantWithExactlyEnoughLeftIsServed() throws Exception {
        double[] small = spendAndEditable(SENSITIVE), measured = spendAndEditable();
        double spend = measured[0], worst = measured[1];
        assertEquals(small[0], small[1], "every token of the first prompt is sensitive: it spends its worst case");
        assertTrue(spend > 0 && spend < worst, "the second prompt must spend less than its worst case: " + spend + ", " + worst);
        try (var t = TestService.start(null, 2, 2, 4, small[0] + spend, CMIF)) {
            assertEquals(spend, veil(complete(t, SENSITIVE)).get("epsilon_budget_left").asDouble(), 1e-9);
            // What the answer said is left is what the next request may spend: exactly its ε, not its worst case.
            assertEquals(0.0, veil(ask(t, null)).get("epsilon_budget_left").asDouble(), 1e-9);
            assertRefused(complete(t, SENSITIVE));
        }
    }

    @Test
    void theVerbatimShareComesFirstThenEpsilon() throws Exception {
        double[] measured = spendAndEditable();
        int verbatim = (int) (measured[1] - measured[0]), of = (int) measured[1];
        try (var t = TestService.start(null, 2, 2, 4, 100, CMIF)) {
            String chat = "{\"model\": \"stories260K.bin\", \"max_tokens\": 2, \"stream\": true, \"messages\": [{\"role\": \"user\", "
                    + "\"content\": \"" + PROMPT + "\"}]}";
            var streamed = t.post("/v1/chat/completions", chat);
            assertEquals(200, streamed.statusCode(), streamed.body());
            String last = streamed.body().lines().filter(l -> l.startsWith("data: {")).reduce((a, b) -> b).orElseThrow();
            for (JsonNode v : List.of(veil(ask(t, null)), TestService.JSON.readTree(last.substring(6)).get("veil"))) {
                List<String> names = new ArrayList<>();
                v.fieldNames().forEachRemaining(names::add);
                assertEquals(List.of("verbatim", "verbatim_share", "epsilon", "covers"), names.subList(0, 4), v.toString());
                Matcher m = HEADLINE.matcher(v.get("verbatim").asText());
                assertTrue(m.lookingAt(), v.get("verbatim").asText());
                double share = Integer.parseInt(m.group(2)) / (double) Integer.parseInt(m.group(3));
                assertEquals(share, v.get("verbatim_share").asDouble(), 1e-9);
                assertTrue(names.contains("privacy") && names.contains("scheme"), "the fields before it stay: " + names);
            }
            Matcher raw = HEADLINE.matcher(veil(ask(t, null)).get("verbatim").asText());
            assertTrue(raw.lookingAt());
            assertEquals(List.of(Math.round(100.0 * verbatim / of), (long) verbatim, (long) of),
                    List.of(Long.parseLong(raw.group(1)), Long.parseLong(raw.group(2)), Long.parseLong(raw.group(3))));
        }
    }
}
