package dev.veil.service;

import java.util.HashMap;
import java.util.Map;

/**
 * Each client's privacy budget for CMIF: the total ε its prompts may spend over the service's life. A request
 * reserves its worst case (ε per token times the prompt's editable tokens) before it runs, so concurrent
 * requests can never overspend; what it did not spend is returned when it ends. Kept in memory: a restart
 * resets every budget (say so to the operator).
 */
final class PrivacyLedger {
    private final double budget;
    private final Map<String, Double> spent = new HashMap<>();

    /** @param budget ε per client, or infinity for none */
    PrivacyLedger(double budget) {
        if (!(budget > 0)) throw new IllegalArgumentException("--privacy-budget must be positive");
        this.budget = budget;
    }

    boolean limited() {
        return !Double.isInfinite(budget);
    }

    /** Reserves {@code worstCase} of {@code client}'s budget; 429 when it does not fit. */
    synchronized void reserve(String client, double worstCase) {
        if (!limited()) return;
        double used = spent.getOrDefault(client, 0.0);
        if (used + worstCase > budget) {
            throw new ApiError(429, "insufficient_quota", "privacy_budget_exhausted", null, String.format(java.util.Locale.ROOT,
                    "This request could spend ε %s of a privacy budget with ε %s left (of %s).", fmt(worstCase), fmt(budget - used),
                            fmt(budget)), 0);
        }
        spent.put(client, used + worstCase);
    }

    /** Settles a reservation: the request spent {@code actual} of the {@code worstCase} reserved. */
    synchronized void settle(String client, double worstCase, double actual) {
        if (!limited()) return;
        spent.merge(client, actual - worstCase, Double::sum);
    }

    /** ε left to {@code client} (infinity without a budget). */
    synchronized double left(String client) {
        return budget - spent.getOrDefault(client, 0.0);
    }

    static String fmt(double e) {
        return Double.isInfinite(e) ? "inf" : String.format(java.util.Locale.ROOT, "%.4g", e).replaceAll("\\.?0+$", "");
    }
}
