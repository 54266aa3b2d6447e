package dev.veil.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.veil.node.SchemeType;
import dev.veil.node.Schemes;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code "veil": {"view": true}} for every scheme the service can serve, blocking and streamed (JDK HttpClient): the
 * answer is the greedy text and carries the weights server's view of the request (a blocking request once answered
 * 500: its view's transcript was deleted before the answer read it).
 */
class ServerViewTest {
    static TestService t;

    static List<String> schemes() {
        return Schemes.types().stream().map(SchemeType::name).toList();
    }

    @BeforeAll
    static void start() throws Exception {
        t = TestService.start(null, 4, 16, 20, Double.POSITIVE_INFINITY, schemes().toArray(String[]::new));
    }

    @AfterAll
    static void stop() {
        t.close();
    }

    static String body(String scheme, boolean stream) {
        return "{\"model\": \"stories260K.bin\", \"prompt\": \"Lily\", \"temperature\": 0, \"max_tokens\": 12, \"stream\": " + stream
                + ", \"veil\": {\"scheme\": \"" + scheme + "\", \"view\": true}}";
    }

    @ParameterizedTest
    @MethodSource("schemes")
    void aBlockingRequestGetsItsView(String scheme) throws Exception {
        var r = t.post("/v1/completions", body(scheme, false));
        assertEquals(200, r.statusCode(), r.body());
        JsonNode j = TestService.JSON.readTree(r.body());
        if (!scheme.equals("cmif")) assertEquals(TestService.greedy("Lily", 12), j.at("/choices/0/text").asText());
        assertEquals(scheme, j.at("/veil/scheme").asText());
        checkView(scheme, j.at("/veil/server_view"));
    }

    @ParameterizedTest
    @MethodSource("schemes")
    void aStreamedRequestGetsItsView(String scheme) throws Exception {
        var r = t.post("/v1/completions", body(scheme, true));
        assertEquals(200, r.statusCode(), r.body());
        String[] events = r.body().split("\n\n");
        assertEquals("data: [DONE]", events[events.length - 1].strip());
        JsonNode last = TestService.JSON.readTree(events[events.length - 2].substring("data: ".length()));
        assertEquals(scheme, last.at("/veil/scheme").asText());
        checkView(scheme, last.at("/veil/server_view"));
    }

    /** Without the tools' attacker view (the node jar's serve), the page is told so and a view is a 400 saying why. */
    @Test
    void aServiceWithoutViewsSaysSo() throws Exception {
        try (var node = TestService.withoutViews("remo-otp")) {
            var models = TestService.JSON.readTree(node.get("/v1/models"));
            assertEquals(false, models.at("/data/0/veil/views").asBoolean(true), models.toString());
            var r = node.post("/v1/completions", body("remo-otp", false));
            assertEquals(400, r.statusCode(), r.body());
            JsonNode error = TestService.JSON.readTree(r.body()).get("error");
            assertEquals("veil.view", error.get("param").asText());
            assertTrue(error.get("message").asText().contains("not part of the trusted node"), r.body());
            var plain = node.post("/v1/completions", body("remo-otp", false).replace("\"view\": true", "\"view\": false"));
            assertEquals(200, plain.statusCode(), plain.body());
        }
    }

    private static void checkView(String scheme, JsonNode view) {
        assertTrue(view.isObject(), scheme + ": " + view);
        assertTrue(view.at("/received/pixels").isTextual() && view.at("/plain/pixels").isTextual(), scheme + ": " + view);
        assertTrue(view.get("best_attack").isTextual(), scheme + ": " + view);
        double recovered = view.get("prompt_tokens_recovered").asDouble(-1);
        assertTrue(recovered >= 0 && recovered <= 1, scheme + ": " + view);
        if (scheme.equals("plain")) assertEquals(1.0, recovered, view.toString()); // unprotected: the prompt comes back whole
    }
}
