package dev.veil.service;

import dev.veil.protocol.transport.OriginPolicy;

/**
 * A request that ends in an OpenAI error object: {@code {"error": {"message", "type", "param", "code"}}} with
 * its HTTP status. The message is for the client; it never holds a stack trace or a secret.
 */
final class ApiError extends RuntimeException {
    final int status;
    final String type;
    final String param;
    final String code;
    /** Seconds for a Retry-After header, or 0 for none. */
    final int retryAfter;

    ApiError(int status, String type, String code, String param, String message, int retryAfter) {
        super(message, null, false, false);
        this.status = status;
        this.type = type;
        this.code = code;
        this.param = param;
        this.retryAfter = retryAfter;
    }

    static ApiError badRequest(String param, String message) {
        return new ApiError(400, "invalid_request_error", null, param, message, 0);
    }

    static ApiError contextExceeded(String param, String message) {
        return new ApiError(400, "invalid_request_error", "context_length_exceeded", param, message, 0);
    }

    static ApiError unauthorized(String message) {
        return new ApiError(401, "invalid_request_error", "invalid_api_key", null, message, 0);
    }

    static ApiError notFound(String code, String message) {
        return new ApiError(404, "invalid_request_error", code, code.equals("model_not_found") ? "model" : null, message, 0);
    }

    static ApiError tooLarge(long limit) {
        return new ApiError(413, "invalid_request_error", "request_too_large", null, "the request body exceeds " + limit + " bytes", 0);
    }

    static ApiError overloaded(String message, int retryAfter) {
        return new ApiError(429, "rate_limit_exceeded", "rate_limit_exceeded", null, message, retryAfter);
    }

    /** A request {@link OriginPolicy} refuses: a foreign Host, a cross-origin request, a body not declared JSON. */
    static ApiError refused(OriginPolicy.Refusal r) {
        return new ApiError(r.status(), "invalid_request_error", r.code(), null, r.message(), 0);
    }

    static ApiError server() {
        return new ApiError(500, "server_error", null, null, "the server failed to complete the request", 0);
    }
}
