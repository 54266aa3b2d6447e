package dev.veil.node;

import java.util.List;
import java.util.ServiceLoader;

/**
 * Every registered scheme, in registration order. Commands and the service parse {@code --scheme} here and
 * nowhere else. The default is a scheme the attack lab measures at the privacy floor.
 */
public final class Schemes {
    /** The default of every command that protects a prompt (docs/attacks.md: prompt TRA at the frequency-prior floor). */
    public static final String DEFAULT = "remo-otp";

    /** The baseline of every comparison: the engine alone, no weights server. */
    public static final String BASELINE = "plain";

    private static final List<SchemeType> TYPES = ServiceLoader.load(SchemeType.class, Schemes.class.getClassLoader()).stream()
            .map(ServiceLoader.Provider::get).toList();

    private Schemes() {}

    public static List<SchemeType> types() {
        return TYPES;
    }

    /** "plain, remo, remo-otp, cmif". */
    public static String names() {
        return String.join(", ", TYPES.stream().map(SchemeType::name).toList());
    }

    public static SchemeType type(String name) {
        return TYPES.stream().filter(t -> t.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("unknown scheme '" + name + "' (" + names() + ")"));
    }

    /** The scheme {@code name} with {@code params}; a parameter it does not take is an error. */
    public static Scheme create(String name, SchemeParams params) {
        Scheme scheme = type(name).create(params);
        params.checkAllRead(name);
        return scheme;
    }

    public static Scheme create(String name) {
        return create(name, SchemeParams.none());
    }
}
