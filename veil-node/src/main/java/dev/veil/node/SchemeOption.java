package dev.veil.node;

import java.util.List;

/**
 * One of a scheme's parameters as a command-line option ({@code --name VALUE}), declared by its {@link SchemeType}:
 * commands offer every registered scheme's options without naming any scheme, and the value reaches the scheme
 * through {@link SchemeParams} under {@code name}.
 *
 * @param name        the parameter's name, and its option's ("m": {@code --m})
 * @param aliases     further option names ("--m-fraction")
 * @param label       the value's label in the usage text ("M")
 * @param description what it sets, with its default, without the scheme's name (the usage text prefixes it)
 */
public record SchemeOption(String name, List<String> aliases, String label, String description) {
    public SchemeOption(String name, String label, String description) {
        this(name, List.of(), label, description);
    }
}
