package dev.veil.node.cmif;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A privacy budget per client across requests: every request's ε (its {@link Guarantee#totalEpsilon()}) is added to
 * its client's spend (sequential composition), and a request that would take the spend past the limit is refused
 * before anything leaves the node. Without it a client could repeat a prompt and let the server vote per position:
 * n repeats of an ε request spend nε. Thread-safe; the check and the charge are one atomic step.
 *
 * <p>A request is charged exactly its ε, once its prompt is sanitized and before anything is sent ({@link CmifNode}),
 * never a worst case held while it runs: what an answer reports as left is what the client's next request may spend.
 * Spends are kept exactly, as integers of 2^-20 ε, each charge rounded up, so many small charges never add up to less
 * than their sum. The client is whatever names one to the node (the service's tenant). In memory a restart resets
 * every budget; {@link #persistent} keeps the spends in a {@link PrivacyLedger} on disk, written before each charge
 * returns, so a restart (or a crash) does not.
 */
public final class PrivacyBudget implements dev.veil.node.TenantBudget, AutoCloseable {
    private static final double UNIT = 1L << 20;

    private final double limit;
    private final long limitUnits;
    private final Map<String, Long> spent = new HashMap<>(); // guarded by this
    private final PrivacyLedger ledger; // null: in memory only

    /** @param limit total ε one client may spend, positive and finite */
    public PrivacyBudget(double limit) {
        this(limit, null);
    }

    private PrivacyBudget(double limit, PrivacyLedger ledger) {
        if (!(limit > 0) || Double.isInfinite(limit) || limit * UNIT >= Long.MAX_VALUE / 2) {
            throw new IllegalArgumentException("a privacy budget must be a positive, finite ε, got " + limit);
        }
        this.limit = limit;
        this.limitUnits = (long) Math.floor(limit * UNIT);
        this.ledger = ledger;
        if (ledger != null) spent.putAll(ledger.spends());
    }

    /**
     * A budget whose spends are kept in {@code ledger} (created when missing), held by this budget until it is closed.
     * A ledger that fails its seal or its format, or that another process holds, is refused with an IOException
     * saying so: its spends are unknown, and starting every client afresh would fail open.
     */
    public static PrivacyBudget persistent(double limit, Path ledger) throws IOException {
        var opened = PrivacyLedger.open(ledger);
        try {
            return new PrivacyBudget(limit, opened);
        } catch (RuntimeException e) {
            opened.close();
            throw e;
        }
    }

    /**
     * The node's ledger unless told otherwise: {@code privacy-ledger} in its state directory, the system property
     * {@code veil.state}, else {@code VEIL_STATE}, else {@code ~/.local/state/veil}. State, not the cache
     * ({@link Sanitizers#defaultCacheDir()}): clearing a cache must not give every tenant its budget again.
     */
    public static Path defaultLedger() {
        String dir = System.getProperty("veil.state", System.getenv("VEIL_STATE"));
        Path root = dir != null && !dir.isBlank() ? Path.of(dir) : Path.of(System.getProperty("user.home"), ".local", "state", "veil");
        return root.resolve("privacy-ledger");
    }

    /** A client's standing after a charge: what it has spent, of what limit. */
    public record Account(String client, double spent, double limit) {
        public double remaining() {
            return Math.max(0, limit - spent);
        }
    }

    /** A request refused because it would exceed its client's budget. */
    public static final class ExceededException extends dev.veil.node.TenantBudget.ExceededException {
        ExceededException(String message) {
            super(message);
        }
    }

    /**
     * Adds {@code epsilon} to {@code client}'s spend (and to the ledger, before it returns), or refuses (spending
     * nothing) if that would exceed the limit. An infinite ε (sanitization off) is always refused. A ledger that
     * cannot be written refuses the charge too, with an UncheckedIOException.
     */
    public synchronized Account charge(String client, double epsilon) {
        if (client == null || client.isEmpty()) throw new IllegalArgumentException("a privacy budget needs a client key");
        if (client.chars().anyMatch(Character::isISOControl)) throw new IllegalArgumentException("a client key has no control characters");
        if (!(epsilon >= 0)) throw new IllegalArgumentException("ε must not be negative, got " + epsilon);
        long units = Double.isInfinite(epsilon) || epsilon * UNIT >= limitUnits + 1 ? Long.MAX_VALUE : units(epsilon);
        long before = spent.getOrDefault(client, 0L);
        if (units == 0) return new Account(client, before / UNIT, limit);
        if (units > limitUnits - before) {
            throw new ExceededException(String.format(Locale.ROOT,
                    "privacy budget exceeded: this request would spend ε %s, and client '%s' has %s of its ε %s left; refused",
                    Guarantee.format(epsilon), client, format(Math.max(0, limitUnits - before) / UNIT), format(limit)));
        }
        spent.put(client, before + units);
        if (ledger != null) {
            try {
                ledger.write(spent);
            } catch (IOException e) {
                if (before == 0) spent.remove(client);
                else spent.put(client, before);
                throw new UncheckedIOException("cannot record a spend in the privacy ledger " + ledger.file() + " (" + e.getMessage()
                        + "); the request is refused", e);
            }
        }
        return new Account(client, (before + units) / UNIT, limit);
    }

    /** ε {@code client} may still spend. */
    @Override
    public synchronized double remaining(String client) {
        return Math.max(0, limitUnits - spent.getOrDefault(client, 0L)) / UNIT;
    }

    /** ε in the units spends are kept in, rounded up as every charge is. */
    private static long units(double epsilon) {
        return (long) Math.ceil(epsilon * UNIT);
    }

    /** ε spent so far by {@code client}. */
    public synchronized double spent(String client) {
        return spent.getOrDefault(client, 0L) / UNIT;
    }

    /** Clients that have spent anything. */
    @Override
    public synchronized int clients() {
        return spent.size();
    }

    @Override
    public double limit() {
        return limit;
    }

    /** Where the spends are kept, or null in memory. */
    @Override
    public Path ledger() {
        return ledger == null ? null : ledger.file();
    }

    /** Lets go of the ledger (another process, or a restart, may then open it). */
    @Override
    public void close() {
        if (ledger != null) ledger.close();
    }

    private static String format(double e) {
        return String.format(Locale.ROOT, "%.4g", e);
    }
}
