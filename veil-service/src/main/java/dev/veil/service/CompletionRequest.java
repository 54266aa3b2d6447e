package dev.veil.service;

import dev.veil.engine.tokenizer.ChatTemplate;
import java.util.ArrayList;
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

    /** {@code json}: the body as {@link Json#parse} read it. */
    static CompletionRequest parse(Object json, boolean chat) {
        if (!(json instanceof Map<?, ?> body)) throw ApiError.badRequest(null, "The request body must be a JSON object.");
        for (var e : body.entrySet()) {
            String f = (String) e.getKey();
            boolean known = switch (f) {
                case "model", "stream", "stream_options", "temperature", "top_p", "max_tokens", "stop", "seed", "n", "veil" -> true;
                case "prompt" -> !chat;
                case "messages", "max_completion_tokens" -> chat;
                default -> IGNORED.contains(f);
            };
            if (!known) throw ApiError.badRequest(f, "Unrecognized request argument supplied: " + f);
            Object v = e.getValue();
            if (f.equals("echo") && asBoolean(v)) throw ApiError.badRequest(f, "echo is not supported.");
            if ((f.equals("presence_penalty") || f.equals("frequency_penalty")) && asDouble(v, 0) != 0) {
                throw ApiError.badRequest(f, f + " is not supported; leave it at 0.");
            }
            if (f.equals("best_of") && (int) asDouble(v, 1) != 1) throw ApiError.badRequest(f, "best_of must be 1.");
            if (f.equals("suffix") && v != null) throw ApiError.badRequest(f, "suffix is not supported.");
            if (f.equals("logprobs") && !(v == null || Boolean.FALSE.equals(v))) {
                throw ApiError.badRequest(f, "logprobs are not supported.");
            }
        }
        String model = text(body, "model", true);
        String prompt = chat ? null : prompt(body);
        var messages = chat ? messages(body) : null;
        boolean stream = bool(body, "stream", false);
        boolean includeUsage = false;
        Object so = body.get("stream_options");
        if (so != null) {
            if (!(so instanceof Map<?, ?> options)) throw ApiError.badRequest("stream_options", "stream_options must be an object.");
            includeUsage = bool(options, "include_usage", false);
        }
        float temperature = (float) number(body, "temperature", 1, 0, 2);
        float topP = (float) number(body, "top_p", 1, 0, 1);
        if (topP == 0) topP = Float.MIN_NORMAL; // OpenAI accepts 0: only the most likely token
        String limitField = chat && body.get("max_completion_tokens") != null ? "max_completion_tokens" : "max_tokens";
        int maxTokens = (int) integer(body, limitField, -1, 0, Integer.MAX_VALUE);
        long n = integer(body, "n", 1, 1, Long.MAX_VALUE);
        if (n != 1) throw ApiError.badRequest("n", "Only n = 1 is supported.");
        Long seed = body.get("seed") != null ? integer(body, "seed", 0, Long.MIN_VALUE, Long.MAX_VALUE) : null;
        String scheme = null;
        boolean view = false;
        Object v = body.get("veil");
        if (v != null) {
            if (!(v instanceof Map<?, ?> veil)) throw ApiError.badRequest("veil", "veil must be an object.");
            for (Object key : veil.keySet()) {
                String f = (String) key;
                if (!f.equals("scheme") && !f.equals("view")) throw ApiError.badRequest("veil." + f, "Unrecognized veil argument: " + f);
            }
            scheme = veil.get("scheme") != null ? text(veil, "scheme", true) : null;
            view = bool(veil, "view", false);
        }
        return new CompletionRequest(model, prompt, messages, stream, includeUsage, temperature, topP, maxTokens, stop(body), seed,
                scheme, view);
    }

    private static String prompt(Map<?, ?> body) {
        Object p = body.get("prompt");
        if (p == null) return "";
        if (p instanceof String s) return s;
        if (p instanceof List<?> l && l.size() == 1 && l.getFirst() instanceof String s) return s;
        throw ApiError.badRequest("prompt", "prompt must be a string (or an array of one string).");
    }

    private static List<ChatTemplate.Message> messages(Map<?, ?> body) {
        if (!(body.get("messages") instanceof List<?> ms) || ms.isEmpty()) {
            throw ApiError.badRequest("messages", "messages must be a non-empty array.");
        }
        List<ChatTemplate.Message> out = new ArrayList<>();
        for (int i = 0; i < ms.size(); i++) {
            String at = "messages[" + i + "]";
            if (!(ms.get(i) instanceof Map<?, ?> m)) throw ApiError.badRequest(at, at + " must be an object.");
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
    private static String content(Object c, String at) {
        if (c instanceof String s) return s;
        if (c instanceof List<?> parts) {
            var sb = new StringBuilder();
            for (Object part : parts) {
                if (!(part instanceof Map<?, ?> p) || !"text".equals(p.get("type")) || !(p.get("text") instanceof String text)) {
                    throw ApiError.badRequest(at, "Only text content parts are supported.");
                }
                sb.append(text);
            }
            return sb.toString();
        }
        throw ApiError.badRequest(at, at + " must be a string or an array of text parts.");
    }

    private static List<String> stop(Map<?, ?> body) {
        Object s = body.get("stop");
        if (s == null) return List.of();
        List<String> out = new ArrayList<>();
        if (s instanceof String one) out.add(one);
        else if (s instanceof List<?> l && l.size() <= 4) {
            for (Object x : l) {
                if (!(x instanceof String one)) throw ApiError.badRequest("stop", "stop must be a string or an array of up to 4 strings.");
                out.add(one);
            }
        } else throw ApiError.badRequest("stop", "stop must be a string or an array of up to 4 strings.");
        if (out.stream().anyMatch(String::isEmpty)) throw ApiError.badRequest("stop", "A stop sequence must not be empty.");
        return out;
    }

    private static String text(Map<?, ?> o, String f, boolean required) {
        Object v = o.get(f);
        if (v == null) {
            if (required) throw ApiError.badRequest(f, "Missing required parameter: '" + f + "'.");
            return null;
        }
        if (!(v instanceof String s)) throw ApiError.badRequest(f, f + " must be a string.");
        return s;
    }

    private static boolean bool(Map<?, ?> o, String f, boolean fallback) {
        Object v = o.get(f);
        if (v == null) return fallback;
        if (!(v instanceof Boolean b)) throw ApiError.badRequest(f, f + " must be true or false.");
        return b;
    }

    private static double number(Map<?, ?> o, String f, double fallback, double min, double max) {
        Object v = o.get(f);
        if (v == null) return fallback;
        if (!(v instanceof Number n) || !(n.doubleValue() >= min && n.doubleValue() <= max)) {
            throw ApiError.badRequest(f, f + " must be a number from " + fmt(min) + " to " + fmt(max) + ".");
        }
        return n.doubleValue();
    }

    private static long integer(Map<?, ?> o, String f, long fallback, long min, long max) {
        Object v = o.get(f);
        if (v == null) return fallback;
        if (!(v instanceof Long n) || n < min || n > max) { // a BigInteger is beyond a long
            throw ApiError.badRequest(f,
                    f + " must be a whole number" + (min == 0 ? " (not negative)" : min == 1 ? " of at least 1" : "") + ".");
        }
        return n;
    }

    /** A field Veil ignores only when it asks for nothing: true, a non-zero number, or the text "true" ask for something. */
    private static boolean asBoolean(Object v) {
        return switch (v) {
            case Boolean b -> b;
            case Number n -> n.doubleValue() != 0;
            case String s -> s.strip().equals("true");
            case null, default -> false;
        };
    }

    /** A number, a number written as text, true as 1 and false as 0; {@code fallback} for anything else. */
    private static double asDouble(Object v, double fallback) {
        return switch (v) {
            case Number n -> n.doubleValue();
            case Boolean b -> b ? 1 : 0;
            case String s -> {
                try {
                    yield Double.parseDouble(s.strip());
                } catch (NumberFormatException e) {
                    yield fallback;
                }
            }
            case null, default -> fallback;
        };
    }

    private static String fmt(double v) {
        return v == Math.rint(v) ? String.valueOf((long) v) : String.valueOf(v);
    }
}
