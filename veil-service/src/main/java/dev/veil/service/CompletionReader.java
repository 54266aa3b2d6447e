package dev.veil.service;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.sun.net.httpserver.Headers;
import dev.veil.engine.inference.Sampler;
import dev.veil.engine.model.Model;
import dev.veil.node.TrustedNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;

/**
 * Reads and checks a completion request from what the client sent (its headers and body): everything that can be
 * refused is refused here, as an {@link ApiError} with a 4xx status (the API fuzz test holds it to that).
 */
final class CompletionReader {
    private static final SecureRandom SEEDS = new SecureRandom();

    private final VeilService.Config config;

    CompletionReader(VeilService.Config config) {
        this.config = config;
    }

    CheckedRequest read(Headers headers, InputStream in, boolean chat) throws IOException {
        String tenant = config.tenant(headers);
        var req = CompletionRequest.parse(parse(body(headers.getFirst("Content-Length"), in)), chat);
        if (!req.model().equals(config.modelId())) {
            throw ApiError.notFound("model_not_found",
                    "The model '" + req.model() + "' does not exist (this service runs '" + config.modelId() + "').");
        }
        String schemeName = req.scheme() != null ? req.scheme() : config.defaultScheme();
        TrustedNode node = config.nodes().get(schemeName);
        if (node == null) {
            throw ApiError.badRequest("veil.scheme", "This service offers the schemes " + String.join(", ", config.nodes().keySet())
                    + "; not '" + schemeName + "'.");
        }
        if (req.view() && config.views() == null) {
            throw ApiError.badRequest("veil.view", "This service's weights servers run elsewhere: it cannot show what they received "
                    + "(the attacker's view is the tools' in-process demo, not part of the trusted node).");
        }
        Model model = config.model();
        Prompt prompt = chat ? Prompt.chat(model, req.messages()) : Prompt.raw(model.tokenizer(), req.prompt());
        int context = model.config().contextLength();
        if (prompt.tokens().length >= context) {
            throw ApiError.contextExceeded(chat ? "messages" : "prompt",
                    "This model's maximum context length is " + context + " tokens. However, your "
                    + (chat ? "messages resulted in " : "prompt resulted in ") + prompt.tokens().length
                            + " tokens, which leaves no room for an answer.");
        }
        int room = context - prompt.tokens().length;
        int maxTokens = req.maxTokens() < 0 ? (chat ? room : 16) : Math.min(req.maxTokens(), room);
        var sampler = new Sampler(req.temperature(), 0, req.topP(), 0, req.seed() != null ? req.seed() : SEEDS.nextLong());
        return new CheckedRequest(tenant, req, node, prompt, maxTokens, sampler);
    }

    /** The body as JSON: UTF-8 only (RFC 8259; left to guess, Jackson would read a body as UTF-16 or UTF-32 too). */
    private static Object parse(byte[] body) throws IOException {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(body)).toString();
        } catch (CharacterCodingException e) {
            throw ApiError.badRequest(null, "The request body must be JSON in UTF-8.");
        }
        try {
            return Json.parse(text);
        } catch (JsonProcessingException e) {
            String m = e.getOriginalMessage(), dup = "Duplicate field '"; // Jackson's words for STRICT_DUPLICATE_DETECTION
            if (m.startsWith(dup) && m.endsWith("'")) {
                String field = m.substring(dup.length(), m.length() - 1);
                throw ApiError.badRequest(field, "The request body names the field '" + field + "' twice.");
            }
            throw ApiError.badRequest(null,
                    "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your "
                    + "HTTP library correctly. The OpenAI API expects a JSON payload.)");
        }
    }

    /** At most {@code maxBodyBytes} + 1 bytes are ever read: a larger body is refused, whatever its Content-Length says. */
    private byte[] body(String length, InputStream in) throws IOException {
        int limit = config.maxBodyBytes();
        if (length != null) {
            try {
                if (Long.parseLong(length.strip()) > limit) throw ApiError.tooLarge(limit);
            } catch (NumberFormatException e) {
                throw ApiError.badRequest(null, "Bad Content-Length.");
            }
        }
        byte[] body = in.readNBytes(limit + 1);
        if (body.length > limit) throw ApiError.tooLarge(limit);
        return body;
    }
}
