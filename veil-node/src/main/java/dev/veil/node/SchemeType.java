package dev.veil.node;

import java.util.List;

/**
 * A kind of scheme, registered once (a line in {@code META-INF/services/dev.veil.node.SchemeType}, found by
 * {@link Schemes}): its name, a one-line summary, and how it reads its parameters.
 */
public interface SchemeType {
    String name();

    /** One line for help texts and the service's scheme list. */
    String summary();

    /** The parameters it takes, as options: what commands offer for it (none by default). */
    default List<SchemeOption> options() {
        return List.of();
    }

    /** The scheme with these parameters; throws IllegalArgumentException naming a bad one. */
    Scheme create(SchemeParams params);
}
