package dev.veil.service;

import dev.veil.node.Session;
import dev.veil.node.TenantBudget;
import dev.veil.node.TrustedNode;

/**
 * CMIF's per-tenant privacy budget as the service charges it: the node is told the tenant and charges the request's exact
 * ε once the prompt is sanitized, before anything is sent, so what an answer says is left is what the next request may spend.
 */
final class BudgetCharging {
    private final TenantBudget budget; // each tenant's ε; null without a limit

    BudgetCharging(TenantBudget budget) {
        this.budget = budget;
    }

    /** A session of {@code node} for {@code tenant}, charged to its budget. */
    Session session(TrustedNode node, String tenant) {
        return node.session(tenant, budget);
    }

    /** The refusal of a request the budget cannot pay for (nothing was sent yet, to the weights server or the client). */
    static ApiError exhausted(TenantBudget.ExceededException e) {
        return new ApiError(429, "insufficient_quota", "privacy_budget_exhausted", null, e.getMessage(), 0);
    }

    /** ε {@code tenant} may still spend, or null without a limit. */
    Double left(String tenant) {
        return budget == null ? null : budget.remaining(tenant);
    }
}
