package dev.veil.node;

import java.nio.file.Path;

/**
 * What each tenant may still spend, across requests and nodes, of what a scheme's sessions charge (cmif: ε). The
 * service keeps one and hands it to every session ({@link TrustedNode#session(String, TenantBudget)}); schemes that
 * charge nothing ignore it.
 */
public interface TenantBudget extends AutoCloseable {
    /** What {@code tenant}'s next request may spend. */
    double remaining(String tenant);

    /** What each tenant may spend in all. */
    double limit();

    /** Tenants that have spent anything. */
    int clients();

    /** Where the spends are kept, or null in memory. */
    Path ledger();

    @Override
    void close();

    /** A request refused because it would exceed its tenant's budget, before anything was sent. */
    class ExceededException extends RuntimeException {
        public ExceededException(String message) {
            super(message);
        }
    }
}
