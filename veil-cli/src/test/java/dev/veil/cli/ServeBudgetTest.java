package dev.veil.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.veil.engine.Shared;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code veil serve}'s privacy budget as a process (issue 23): finite unless opted out aloud, and kept across a restart. */
@Timeout(300)
class ServeBudgetTest {
    @TempDir Path dir;

    /** serve with cmif as its scheme, only sensitive tokens sanitized (p = 0: every request of a prompt spends the same). */
    private ServeContractTest.Serve serve(String... more) throws Exception {
        String[] args = {"serve", "--model", Shared.storiesBin().toString(), "--port", "0", "--scheme", "cmif", "--p", "0"};
        var pb = ServeContractTest.veil(java.util.stream.Stream.concat(java.util.Arrays.stream(args), java.util.Arrays.stream(more))
                .toArray(String[]::new));
        pb.environment().put("VEIL_STATE", dir.resolve("state").toString()); // the default ledger: the same one on every start
        return ServeContractTest.Serve.start(pb);
    }

    private static JsonNode veil(ServeContractTest.Serve serve) throws Exception {
        String body = "{\"model\": \"stories260K.bin\", \"prompt\": \"Lily saw a zebra in the garden\", \"max_tokens\": 2}";
        try (var http = HttpClient.newHttpClient()) {
            var request = HttpRequest.newBuilder(URI.create(serve.base() + "/v1/completions")).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build();
            var r = http.send(request, HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode(), r.body());
            return ServeContractTest.JSON.readTree(r.body()).get("veil");
        }
    }

    @Test
    void aRestartKeepsEachTenantsSpend() throws Exception {
        double spend;
        try (var serve = serve("--privacy-budget", "40")) {
            var v = veil(serve);
            spend = v.get("epsilon").asDouble();
            // the spend is the sanitized tokens' ε, as the answer itemizes it (at least one token: else the restart checks nothing)
            var itemized = java.util.regex.Pattern.compile("privacy spend: (\\d+) tokens? × ε 1\\.0 = ")
                    .matcher(v.get("privacy").asText());
            assertTrue(itemized.find(), v.toString());
            assertEquals(Integer.parseInt(itemized.group(1)), spend, 1e-9, v.toString());
            assertTrue(spend >= 1, v.toString());
            assertEquals(40 - spend, v.get("epsilon_budget_left").asDouble(), 1e-9);
        }
        try (var serve = serve("--privacy-budget", "40")) {
            assertEquals(40 - 2 * spend, veil(serve).get("epsilon_budget_left").asDouble(), 1e-9, "the restart forgot the first request");
        }
    }

    @Test
    void theDefaultBudgetIsFiniteAndNoLimitIsSaidAtStart() throws Exception {
        try (var serve = serve()) {
            assertTrue(serve.ready().contains("privacy budget: ε 48 per tenant"), serve.ready());
            assertTrue(veil(serve).get("epsilon_budget_left").asDouble() < 48);
        }
        try (var serve = serve("--privacy-budget", "inf")) {
            assertTrue(serve.ready().contains("warning: --privacy-budget inf"), serve.ready());
        }
    }
}
