package dev.veil.service;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * Server-sent events: one {@code data:} line per chunk, flushed at once. The headers and a first chunk go with the first
 * chunk, so a request refused before its first token is still answered with an error status.
 */
final class EventStream {
    private final HttpExchange ex;
    private Map<String, Object> first; // sent before the first chunk; null once the stream is open
    private OutputStream out;

    EventStream(HttpExchange ex, Map<String, Object> first) {
        this.ex = ex;
        this.first = first;
    }

    boolean opened() {
        return out != null;
    }

    void send(Map<String, Object> chunk) {
        write("data: " + Json.string(chunk) + "\n\n");
    }

    void done() {
        write("data: [DONE]\n\n");
    }

    /** Throws {@link Cancelled} when the client is gone, which ends the generation. */
    private void write(String s) {
        try {
            if (out == null) {
                ex.getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
                ex.getResponseHeaders().set("Cache-Control", "no-cache");
                ex.sendResponseHeaders(200, 0);
                out = ex.getResponseBody();
                if (first != null) out.write(("data: " + Json.string(first) + "\n\n").getBytes(StandardCharsets.UTF_8));
                first = null;
            }
            out.write(s.getBytes(StandardCharsets.UTF_8));
            out.flush();
        } catch (IOException e) {
            throw new Cancelled(e);
        }
    }
}
