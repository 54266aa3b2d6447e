package dev.veil.service;

import dev.veil.node.ServerViews;
import dev.veil.node.SessionReport;
import dev.veil.node.TrustedNode;
import java.util.Map;

/**
 * The {@code veil} object of an answer, the request's privacy report: for CMIF first the share of the prompt the weights
 * server received verbatim, then ε and what it covers, the spend and the tenant's budget left; then the scheme, what the
 * weights server was sent and saw.
 */
final class VeilReport {
    private final VeilService.Config config;
    private final BudgetCharging budget;

    VeilReport(VeilService.Config config, BudgetCharging budget) {
        this.config = config;
        this.budget = budget;
    }

    Map<String, Object> of(String tenant, ServerViews.View view, Prompt prompt, Generation.Result result) {
        SessionReport r = result.report();
        var v = Json.object();
        if (r.verbatim() != null) {
            v.put("verbatim", r.verbatim());
            v.put("verbatim_share", r.verbatimShare());
        }
        if (!Double.isNaN(r.epsilon())) {
            v.put("epsilon", r.epsilon());
            v.put("covers", "the prompt's own tokens (ε-DP per sanitized token, composed over the prompt); not the system prompt, "
                    + "the template, nor the answer, which the weights server sees unsanitized");
            v.put("privacy", r.privacy());
            Double left = budget.left(tenant);
            if (left != null) v.put("epsilon_budget_left", left); // what the next request may spend
        }
        v.put("scheme", r.scheme());
        v.put("parameters", r.parameters());
        v.put("weights_server_calls", r.calls());
        v.put("bytes_sent", r.bytesSent());
        v.put("bytes_received", r.bytesReceived());
        TrustedNode node = config.nodes().get(r.scheme());
        if (node != null) v.put("weights_servers", node.scheme().servers()); // 0: the node runs the whole model in the clear
        if (node != null && node.scheme().warning() != null) v.put("warning", node.scheme().warning());
        if (r.serverPrompt() != null) v.put("server_prompt", config.model().tokenizer().decode(r.serverPrompt()));
        if (view != null) v.put("server_view", view.describe(prompt.tokens(), result.tokens()));
        return v;
    }
}
