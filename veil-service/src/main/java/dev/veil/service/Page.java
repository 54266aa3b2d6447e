package dev.veil.service;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Map;

/** The page's static files, from the jar only (nothing from the internet); a fixed list, so no path reaches another resource. */
final class Page {
    private static final Map<String, String> FILES = Map.of(
            "/", "index.html",
            "/index.html", "index.html",
            "/page.js", "page.js",
            "/page.css", "page.css");

    private Page() {}

    static void serve(HttpExchange ex, String path) throws IOException {
        String name = FILES.get(path);
        if (name == null) throw ApiError.notFound("unknown_url", "Unknown request URL: GET " + path);
        byte[] bytes;
        try (InputStream in = Page.class.getResourceAsStream("page/" + name)) {
            if (in == null) throw new IOException("page resource " + name + " is missing from the jar");
            bytes = in.readAllBytes();
        }
        String type = name.endsWith(".html") ? "text/html; charset=utf-8" : name.endsWith(".js")
                ? "text/javascript; charset=utf-8" : "text/css; charset=utf-8";
        ex.getResponseHeaders().set("Content-Type", type);
        // The page runs only its own script and talks only to this service.
        ex.getResponseHeaders().set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:");
        ex.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
        ex.sendResponseHeaders(200, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }
}
