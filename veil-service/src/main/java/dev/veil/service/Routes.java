package dev.veil.service;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import dev.veil.protocol.transport.OriginPolicy;
import java.io.IOException;

/**
 * Every exchange: the origin check first, then the endpoint its path names. Whatever fails is answered as an
 * {@link ApiError} in OpenAI's shape; a fault of the service's own is logged and answered 500, never with its details.
 */
record Routes(OriginPolicy origins, VeilService.Config config, ModelsEndpoint models, AttestationEndpoint attestation,
              CompletionEndpoint completions) implements HttpHandler {
    private static final String MODELS = "/v1/models/";

    @Override
    public void handle(HttpExchange ex) {
        try (ex) {
            try {
                route(ex);
            } catch (ApiError e) {
                Responses.error(ex, e);
            } catch (Cancelled e) {
                // the client went away; nothing to answer
            } catch (RuntimeException | IOException e) {
                if (Boolean.getBoolean("veil.debug")) e.printStackTrace();
                System.err.println("veil serve: " + ex.getRequestMethod() + " " + ex.getRequestURI().getPath() + " failed: " + e);
                Responses.error(ex, ApiError.server());
            }
        } catch (IOException | RuntimeException gone) {
            // the client went away while we answered
        }
    }

    private void route(HttpExchange ex) throws IOException {
        String path = ex.getRequestURI().getPath();
        String method = ex.getRequestMethod();
        var refusal = origins.check(method, ex.getRequestHeaders()::get); // before anything else, the API key included
        if (refusal != null) throw ApiError.refused(refusal);
        if (path.equals("/v1/completions") || path.equals("/v1/chat/completions")) {
            requireMethod(method, "POST");
            completions.handle(ex, path.equals("/v1/chat/completions"));
        } else if (path.equals("/v1/models") || path.startsWith(MODELS)) {
            requireMethod(method, "GET");
            config.tenant(ex.getRequestHeaders()); // a tenant's key, else 401
            models.handle(ex, path.length() > MODELS.length() ? path.substring(MODELS.length()) : null);
        } else if (path.equals("/v1/attestation")) {
            requireMethod(method, "GET");
            config.tenant(ex.getRequestHeaders()); // a tenant's key, else 401
            attestation.handle(ex);
        } else if (!path.startsWith("/v1/")) {
            requireMethod(method, "GET");
            Page.serve(ex, path);
        } else {
            throw ApiError.notFound("unknown_url", "Unknown request URL: " + method + " " + path);
        }
    }

    private static void requireMethod(String method, String expected) {
        if (!method.equals(expected)) throw new ApiError(405, "invalid_request_error", "method_not_allowed", null,
                "Use " + expected + ".", 0);
    }
}
