package dev.veil.node;

import dev.veil.engine.ring.Numeric;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * A scheme's parameters by name ("m" → "1/8"), as the CLI's options or a service's configuration give them.
 * A scheme reads the ones it takes; {@link #checkAllRead} then refuses any it did not, so a parameter that
 * does not apply to the chosen scheme is an error, not silently ignored. A caller may also suggest defaults
 * (the attack lab: count CMIF's token frequencies on the attacker's own text): a scheme that takes one reads it
 * in place of its own default; one that does not is no error.
 */
public final class SchemeParams {
    private final Map<String, String> values, defaults;
    private final Set<String> read = new LinkedHashSet<>();

    public SchemeParams(Map<String, String> values) {
        this(values, Map.of());
    }

    /** @param defaults values for parameters not given, which no scheme is obliged to take */
    public SchemeParams(Map<String, String> values, Map<String, String> defaults) {
        this.values = new LinkedHashMap<>(values);
        this.defaults = new LinkedHashMap<>(defaults);
    }

    public static SchemeParams none() {
        return new SchemeParams(Map.of());
    }

    /** The value given for {@code name}, else {@code fallback}. */
    public String get(String name, String fallback) {
        read.add(name);
        return values.getOrDefault(name, defaults.getOrDefault(name, fallback));
    }

    public double number(String name, double fallback) {
        String v = get(name, null);
        if (v == null) return fallback;
        try {
            return Double.parseDouble(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + name + " must be a number, got '" + v + "'");
        }
    }

    public int integer(String name, int fallback) {
        String v = get(name, null);
        if (v == null) return fallback;
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + name + " must be a whole number, got '" + v + "'");
        }
    }

    /** The numeric mode (float, exact = z64, z32), else {@code fallback}. */
    public Numeric numeric(Numeric fallback) {
        String v = get("numeric", null);
        return v == null ? fallback : Numeric.parse(v);
    }

    /** Refuses parameters the scheme did not read: "--epsilon does not apply to --scheme remo". */
    public void checkAllRead(String scheme) {
        var extra = new LinkedHashSet<>(values.keySet());
        extra.removeAll(read);
        if (!extra.isEmpty()) {
            throw new IllegalArgumentException(String.join(", ", extra.stream().map(k -> "--" + k).toList())
                    + (extra.size() == 1 ? " does" : " do") + " not apply to --scheme " + scheme);
        }
    }
}
