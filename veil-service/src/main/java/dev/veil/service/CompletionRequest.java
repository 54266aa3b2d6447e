package dev.veil.service;

import com.fasterxml.jackson.databind.JsonNode;
import dev.veil.engine.tokenizer.ChatTemplate;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One /v1/completions or /v1/chat/completions request, checked field by field: a field of the wrong type or out
 * of range is a 400 naming it. Fields OpenAI defines that change nothing here (user, logit_bias empty, ...) are
 * accepted; a field Veil does not implement and that would change the answer is refused rather than ignored.
 *
 * @param prompt   /v1/completions: the raw prompt; null for chat
 * @param messages /v1/chat/completions: the conversation; null for completions
 * @param maxTokens the limit asked for, or -1 for the default
 * @param seed     the sampling seed, or null for a fresh random one
 * @param scheme   the scheme the client picked in {@code veil.scheme}, or null for the operator's default
 * @param view     {@code veil.view}: also record what the weights server received and what the attack lab recovers
 */
record CompletionRequest(String model, String prompt, List<ChatTemplate.Message> messages, boolean stream, boolean includeUsage,
                         float temperature, float topP, int maxTokens, List<String> stop, Long seed, String scheme, boolean view) {

    private static final Set<String> IGNORED = Set.of("user", "logprobs", "top_logprobs", "presence_penalty", "frequency_penalty",
            "logit_bias", "store", "metadata", "service_tier", "parallel_tool_calls", "echo", "best_of", "suffix");

    static CompletionRequest parse(JsonNode body, boolean chat) {
        if (body == null || !body.isObject()) throw ApiError.badRequest(null, "The request body must be a JSON object.");
        for (Iterator<Map.Entry<String, JsonNode>> it = body.fields(); it.hasNext(); ) {
            var e = it.next();
            String f = e.getKey();
            boolean known = switch (f) {
                case "model", "stream", "stream_options", "temperature", "top_p", "max_tokens", "stop", "seed", "n", "veil" -> true;
                case "prompt" -> !chat;
                case "messages", "max_completion_tokens" -> chat;
                default -> IGNORED.contains(f);
            };
            if (!known) throw ApiError.badRequest(f, "Unrecognized request argument supplied: " + f);
            if (f.equals("echo") && e.getValue().asBoolean(false)) throw ApiError.badRequest(f, "echo is not supported.");
            if ((f.equals("presence_penalty") || f.equals("frequency_penalty")) && e.getValue().asDouble(0) != 0) {
                throw ApiError.badRequest(f, f + " is not supported; leave it at 0.");
            }
            if (f.equals("best_of") && e.getValue().asInt(1) != 1) throw ApiError.badRequest(f, "best_of must be 1.");
            if (f.equals("suffix") && !e.getValue().isNull()) throw ApiError.badRequest(f, "suffix is not supported.");
            if (f.equals("logprobs") && !(e.getValue().isNull() || e.getValue().isBoolean() && !e.getValue().asBoolean())) {
                throw ApiError.badRequest(f, "logprobs are not supported.");
            }
        }
        String model = text(body, "model", true);
        String prompt = chat ? null : prompt(body);
        var messages = chat ? messages(body) : null;
        boolean stream = bool(body, "stream", false);
        boolean includeUsage = false;
        JsonNode so = body.get("stream_options");
        if (so != null && !so.isNull()) {
            if (!so.isObject()) throw ApiError.badRequest("stream_options", "stream_options must be an object.");
            includeUsage = bool(so, "include_usage", false);
        }
        float temperature = (float) number(body, "temperature", 1, 0, 2);
        float topP = (float) number(body, "top_p", 1, 0, 1);
        if (topP == 0) topP = Float.MIN_NORMAL; // OpenAI accepts 0: only the most likely token
        String limitField = chat && body.hasNonNull("max_completion_tokens") ? "max_completion_tokens" : "max_tokens";
        int maxTokens = (int) integer(body, limitField, -1, 0, Integer.MAX_VALUE);
        long n = integer(body, "n", 1, 1, Long.MAX_VALUE);
        if (n != 1) throw ApiError.badRequest("n", "Only n = 1 is supported.");
        Long seed = body.hasNonNull("seed") ? integer(body, "seed", 0, Long.MIN_VALUE, Long.MAX_VALUE) : null;
        String scheme = null;
        boolean view = false;
        JsonNode veil = body.get("veil");
        if (veil != null && !veil.isNull()) {
            if (!veil.isObject()) throw ApiError.badRequest("veil", "veil must be an object.");
            for (Iterator<String> it = veil.fieldNames(); it.hasNext(); ) {
                String f = it.next();
                if (!f.equals("scheme") && !f.equals("view")) throw ApiError.badRequest("veil." + f, "Unrecognized veil argument: " + f);
            }
            scheme = veil.hasNonNull("scheme") ? text(veil, "scheme", true) : null;
            view = bool(veil, "view", false);
        }
        return new CompletionRequest(model, prompt, messages, stream, includeUsage, temperature, topP, maxTokens, stop(body), seed,
                scheme, view);
    }

    private static String prompt(JsonNode body) {
        JsonNode p = body.get("prompt");
        if (p == null || p.isNull()) return "";
        if (p.isTextual()) return p.asText();
        if (p.isArray() && p.size() == 1 && p.get(0).isTextual()) return p.get(0).asText();
        throw ApiError.badRequest("prompt", "prompt must be a string (or an array of one string).");
    }

    private static List<ChatTemplate.Message> messages(JsonNode body) {
        JsonNode ms = body.get("messages");
        if (ms == null || !ms.isArray() || ms.isEmpty()) throw ApiError.badRequest("messages", "messages must be a non-empty array.");
        List<ChatTemplate.Message> out = new ArrayList<>();
        for (int i = 0; i < ms.size(); i++) {
            JsonNode m = ms.get(i);
            String at = "messages[" + i + "]";
            if (!m.isObject()) throw ApiError.badRequest(at, at + " must be an object.");
            String role = text(m, "role", true);
            ChatTemplate.Role r = switch (role) {
                case "system", "developer" -> ChatTemplate.Role.SYSTEM;
                case "user" -> ChatTemplate.Role.USER;
                case "assistant" -> ChatTemplate.Role.ASSISTANT;
                default -> throw ApiError.badRequest(at + ".role", "Unsupported role '" + role + "' (system, developer, user, assistant).");
            };
            out.add(new ChatTemplate.Message(r, content(m.get("content"), at + ".content")));
        }
        return out;
    }

    /** A message's text: a string, or an array of {"type": "text", "text": ...} parts. */
    private static String content(JsonNode c, String at) {
        if (c != null && c.isTextual()) return c.asText();
        if (c != null && c.isArray()) {
            var sb = new StringBuilder();
            for (JsonNode part : c) {
                if (!part.isObject() || !"text".equals(part.path("type").asText()) || !part.path("text").isTextual()) {
                    throw ApiError.badRequest(at, "Only text content parts are supported.");
                }
                sb.append(part.get("text").asText());
            }
            return sb.toString();
        }
        throw ApiError.badRequest(at, at + " must be a string or an array of text parts.");
    }

    private static List<String> stop(JsonNode body) {
        JsonNode s = body.get("stop");
        if (s == null || s.isNull()) return List.of();
        List<String> out = new ArrayList<>();
        if (s.isTextual()) out.add(s.asText());
        else if (s.isArray() && s.size() <= 4) {
            for (JsonNode x : s) {
                if (!x.isTextual()) throw ApiError.badRequest("stop", "stop must be a string or an array of up to 4 strings.");
                out.add(x.asText());
            }
        } else throw ApiError.badRequest("stop", "stop must be a string or an array of up to 4 strings.");
        if (out.stream().anyMatch(String::isEmpty)) throw ApiError.badRequest("stop", "A stop sequence must not be empty.");
        return out;
    }

    private static String text(JsonNode o, String f, boolean required) {
        JsonNode v = o.get(f);
        if (v == null || v.isNull()) {
            if (required) throw ApiError.badRequest(f, "Missing required parameter: '" + f + "'.");
            return null;
        }
        if (!v.isTextual()) throw ApiError.badRequest(f, f + " must be a string.");
        return v.asText();
    }

    private static boolean bool(JsonNode o, String f, boolean fallback) {
        JsonNode v = o.get(f);
        if (v == null || v.isNull()) return fallback;
        if (!v.isBoolean()) throw ApiError.badRequest(f, f + " must be true or false.");
        return v.asBoolean();
    }

    private static double number(JsonNode o, String f, double fallback, double min, double max) {
        JsonNode v = o.get(f);
        if (v == null || v.isNull()) return fallback;
        if (!v.isNumber() || !(v.asDouble() >= min && v.asDouble() <= max)) {
            throw ApiError.badRequest(f, f + " must be a number from " + fmt(min) + " to " + fmt(max) + ".");
        }
        return v.asDouble();
    }

    private static long integer(JsonNode o, String f, long fallback, long min, long max) {
        JsonNode v = o.get(f);
        if (v == null || v.isNull()) return fallback;
        if (!v.isIntegralNumber() || !v.canConvertToLong() || v.asLong() < min || v.asLong() > max) {
            throw ApiError.badRequest(f,
                    f + " must be a whole number" + (min == 0 ? " (not negative)" : min == 1 ? " of at least 1" : "") + ".");
        }
        return v.asLong();
    }

    private static String fmt(double v) {
        return v == Math.rint(v) ? String.valueOf((long) v) : String.valueOf(v);
    }
}
