package dev.veil.node;

/**
 * A kind of scheme, registered once (a line in {@code META-INF/services/dev.veil.node.SchemeType}, found by
 * {@link Schemes}): its name, a one-line summary, and how it reads its parameters.
 */
public interface SchemeType {
    String name();

    /** One line for help texts and the service's scheme list. */
    String summary();

    /** The scheme with these parameters; throws IllegalArgumentException naming a bad one. */
    Scheme create(SchemeParams params);
}
