package dev.veil.node.cmif;

import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A privacy budget per client across requests: every request's ε (its {@link Guarantee#totalEpsilon()}) is added to
 * its client's spend (sequential composition), and a request that would take the spend past the limit is refused
 * before anything leaves the node. Without it a client could repeat a prompt and let the server vote per position:
 * n repeats of an ε request spend nε. Thread-safe; the check and the charge are one atomic step per client.
 *
 * <p>Spends are kept exactly, as integers of 2^-20 ε, each charge rounded up, so many small charges never add up to
 * less than their sum. The client key is whatever identifies a client to the node (the service's API key id); keys
 * are kept for the node's lifetime, in memory: a restart resets every budget. The service ({@code veil serve
 * --privacy-budget}) charges each API key here: it reserves a request's worst case before it runs and settles it after.
 */
public final class PrivacyBudget {
    private static final double UNIT = 1L << 20;

    private final double limit;
    private final long limitUnits;
    private final ConcurrentHashMap<String, Long> spent = new ConcurrentHashMap<>();

    /** @param limit total ε one client may spend, positive and finite */
    public PrivacyBudget(double limit) {
        if (!(limit > 0) || Double.isInfinite(limit) || limit * UNIT >= Long.MAX_VALUE / 2) {
            throw new IllegalArgumentException("a privacy budget must be a positive, finite ε, got " + limit);
        }
        this.limit = limit;
        this.limitUnits = (long) Math.floor(limit * UNIT);
    }

    /** A client's standing after a charge: what it has spent, of what limit. */
    public record Account(String client, double spent, double limit) {
        public double remaining() {
            return Math.max(0, limit - spent);
        }
    }

    /** A request refused because it would exceed its client's budget. */
    public static final class ExceededException extends RuntimeException {
        ExceededException(String message) {
            super(message);
        }
    }

    /**
     * Adds {@code epsilon} to {@code client}'s spend, or refuses (spending nothing) if that would exceed the limit.
     * An infinite ε (sanitization off) is always refused.
     */
    public Account charge(String client, double epsilon) {
        if (client == null || client.isEmpty()) throw new IllegalArgumentException("a privacy budget needs a client key");
        if (!(epsilon >= 0)) throw new IllegalArgumentException("ε must not be negative, got " + epsilon);
        long units = Double.isInfinite(epsilon) || epsilon * UNIT >= limitUnits + 1 ? Long.MAX_VALUE : units(epsilon);
        long[] before = new long[1];
        long after = spent.compute(client, (k, v) -> {
            long s = v == null ? 0 : v;
            before[0] = s;
            return units <= limitUnits - s ? s + units : s;
        });
        if (after == before[0] && units > 0) {
            throw new ExceededException(String.format(Locale.ROOT,
                    "privacy budget exceeded: this request would spend ε %s, and client '%s' has %s of its ε %s left; refused",
                    Guarantee.format(epsilon), client, format(Math.max(0, limitUnits - after) / UNIT), format(limit)));
        }
        return new Account(client, after / UNIT, limit);
    }

    /**
     * Reserves {@code worstCase} of {@code client}'s budget for a request whose spend is known only once it has run
     * (the service reserves ε per token times the prompt's editable tokens), so that concurrent requests can never
     * overspend; refused, spending nothing, as {@link #charge}. {@link #settle} returns what the request did not spend.
     */
    public Account reserve(String client, double worstCase) {
        return charge(client, worstCase);
    }

    /** Settles a reservation of {@code reserved}: the request spent {@code actual}; the rest goes back to the client. */
    public void settle(String client, double reserved, double actual) {
        if (Double.isInfinite(reserved) || !(actual >= 0)) return; // an infinite reservation was never granted
        long back = units(reserved) - units(Math.min(actual, reserved));
        if (back > 0) spent.computeIfPresent(client, (k, v) -> Math.max(0, v - back));
    }

    /** ε {@code client} may still spend. */
    public double remaining(String client) {
        return Math.max(0, limitUnits - spent.getOrDefault(client, 0L)) / UNIT;
    }

    /** ε in the units spends are kept in, rounded up as every charge is. */
    private static long units(double epsilon) {
        return (long) Math.ceil(epsilon * UNIT);
    }

    /** ε spent so far by {@code client}. */
    public double spent(String client) {
        return spent.getOrDefault(client, 0L) / UNIT;
    }

    public double limit() {
        return limit;
    }

    private static String format(double e) {
        return String.format(Locale.ROOT, "%.4g", e);
    }
}
