package dev.veil.node;

/**
 * What each tenant may still spend, across requests and nodes, of what a scheme's sessions charge (cmif: ε). The
 * service keeps one and hands it to every session ({@link TrustedNode#session(String, TenantBudget)}); schemes that
 * charge nothing ignore it.
 */
public interface TenantBudget {
    /** What {@code tenant}'s next request may spend. */
    double remaining(String tenant);

    /** A request refused because it would exceed its tenant's budget, before anything was sent. */
    class ExceededException extends RuntimeException {
        public ExceededException(String message) {
            super(message);
        }
    }
}
