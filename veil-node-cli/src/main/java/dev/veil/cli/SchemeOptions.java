package dev.veil.cli;

import dev.veil.node.Scheme;
import dev.veil.node.SchemeParams;
import dev.veil.node.Schemes;
import java.util.Map;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code --scheme} and every scheme's parameters, for the commands that run one. Options left out take the
 * scheme's defaults; an option the chosen scheme does not take is an error ({@link Schemes#create}).
 */
final class SchemeOptions {
    @Option(names = "--scheme", paramLabel = "NAME", completionCandidates = SchemeNames.class,
            description = "${COMPLETION-CANDIDATES} (default: " + Schemes.DEFAULT + ")")
    String scheme;

    @Mixin SchemeParameters parameters;

    /** The registered schemes' names, for the usage text. */
    static final class SchemeNames implements Iterable<String> {
        @Override
        public java.util.Iterator<String> iterator() {
            return Schemes.types().stream().map(dev.veil.node.SchemeType::name).iterator();
        }
    }

    /** The scheme chosen (else {@code fallback}) with the parameters given. */
    Scheme scheme(String fallback) {
        return scheme(fallback, Map.of());
    }

    /** The scheme chosen, else the default (one at the privacy floor). */
    Scheme scheme() {
        return scheme(Schemes.DEFAULT);
    }

    /** As {@link #scheme(String)}, with {@code defaults} for parameters not given that the scheme may take or not. */
    Scheme scheme(String fallback, Map<String, String> defaults) {
        String name = scheme != null ? scheme : fallback;
        return Schemes.create(name, new SchemeParams(parameters.given(), defaults));
    }
}
