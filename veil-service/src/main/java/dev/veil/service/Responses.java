package dev.veil.service;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Map;

/** Whole answers: a JSON body, or an {@link ApiError} in OpenAI's error shape. */
final class Responses {
    private Responses() {}

    static void json(HttpExchange ex, int status, Map<String, Object> body) throws IOException {
        byte[] bytes = Json.bytes(body);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }

    static void error(HttpExchange ex, ApiError e) throws IOException {
        if (ex.getResponseCode() != -1) return; // headers already sent (a stream): the client sees the stream end
        var err = Json.object("error", Json.object("message", e.getMessage(), "type", e.type, "param", e.param, "code", e.code));
        if (e.retryAfter > 0) ex.getResponseHeaders().set("Retry-After", String.valueOf(e.retryAfter));
        if (e.status == 401) ex.getResponseHeaders().set("WWW-Authenticate", "Bearer");
        json(ex, e.status, err);
    }
}
