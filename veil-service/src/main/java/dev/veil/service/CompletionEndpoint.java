package dev.veil.service;

import com.sun.net.httpserver.HttpExchange;
import dev.veil.node.TenantBudget;
import java.io.IOException;
import java.util.UUID;

/**
 * {@code POST /v1/completions} and {@code POST /v1/chat/completions}: a checked request waits for its place
 * ({@link Admission}), runs as a session of its own charged to its tenant's budget, and is answered whole or streamed.
 */
final class CompletionEndpoint {
    private final VeilService.Config config;
    private final CompletionReader reader;
    private final Admission admission;
    private final BudgetCharging budget;
    private final VeilReport report;
    private final Counters counters;

    CompletionEndpoint(VeilService.Config config, Admission admission, Counters counters) {
        this.config = config;
        this.reader = new CompletionReader(config);
        this.admission = admission;
        this.budget = new BudgetCharging(config.budget());
        this.report = new VeilReport(config, budget);
        this.counters = counters;
    }

    CompletionReader reader() {
        return reader;
    }

    void handle(HttpExchange ex, boolean chat) throws IOException {
        CheckedRequest c = reader.read(ex.getRequestHeaders(), ex.getRequestBody(), chat);
        try (var slot = admission.enter(c.tenant())) {
            respond(ex, chat, c);
        } catch (TenantBudget.ExceededException e) {
            throw BudgetCharging.exhausted(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw ApiError.server();
        }
    }

    /**
     * Runs the session and answers. A view (the page's recording node) stays open until the answer that describes it
     * is written, blocking or streamed.
     */
    private void respond(HttpExchange ex, boolean chat, CheckedRequest c) throws IOException {
        counters.started.incrementAndGet();
        var json = new CompletionJson((chat ? "chatcmpl-" : "cmpl-") + UUID.randomUUID().toString().replace("-", ""), chat,
                System.currentTimeMillis() / 1000, config.modelId());
        var req = c.request();
        var view = req.view() ? config.views().open(c.node().scheme()) : null;
        try (view; var session = budget.session(view != null ? view.node() : c.node(), c.tenant())) {
            if (req.stream()) {
                new CompletionStream(config.model(), json, report, counters).run(ex, c, session, view);
                return;
            }
            var result = Generation.run(config.model(), session, c.prompt(), c.maxTokens(), c.sampler(), req.stop(), delta -> {});
            counters.tokens.addAndGet(result.completionTokens());
            Responses.json(ex, 200, json.completion(result, report.of(c.tenant(), view, c.prompt(), result)));
        } catch (Cancelled e) {
            counters.cancelled.incrementAndGet();
            throw e;
        }
    }
}
