package dev.veil.service;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** {@code GET /v1/models} and {@code GET /v1/models/ID}: the one model, with a {@code veil} object naming the schemes offered. */
record ModelsEndpoint(VeilService.Config config, long created) {
    /** Answers the list, or with {@code id} that model (404 for any other). */
    void handle(HttpExchange ex, String id) throws IOException {
        if (id != null && !id.equals(config.modelId())) throw ApiError.notFound("model_not_found",
                "The model '" + id + "' does not exist.");
        List<Object> schemes = new ArrayList<>();
        config.nodes().forEach((name, node) -> schemes.add(Json.object("name", name, "parameters", node.scheme().describe(),
                "warning", node.scheme().warning())));
        var veil = Json.object("default_scheme", config.defaultScheme(), "schemes", schemes,
                "context_length", config.model().config().contextLength(), "views", config.views() != null);
        var model = Json.object("id", config.modelId(), "object", "model", "created", created, "owned_by", "veil", "veil", veil);
        Responses.json(ex, 200, id != null ? model : Json.object("object", "list", "data", List.of(model)));
    }
}
