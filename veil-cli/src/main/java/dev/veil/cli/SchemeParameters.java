package dev.veil.cli;

import dev.veil.node.SchemeOption;
import dev.veil.node.SchemeType;
import dev.veil.node.Schemes;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Every registered scheme's parameters as options, as each scheme declares them ({@link SchemeType#options()}): the
 * values given, for the registry to validate. Options left out take the scheme's defaults. An option two schemes
 * take is one option, its usage text saying what it sets for each ("remo-otp, shares: exact (default) or z32").
 */
@Command(modelTransformer = SchemeParameters.AddOptions.class)
final class SchemeParameters {
    private final Map<String, String> given = new LinkedHashMap<>();

    /** The parameters given on the command line, by name ("m" → "1/8"). */
    Map<String, String> given() {
        return new LinkedHashMap<>(given);
    }

    /** Each parameter's option, merged over the schemes that take it, in registration order; its value goes to {@code into}. */
    static List<OptionSpec> options(SchemeParameters into) {
        Map<String, List<Map.Entry<SchemeType, SchemeOption>>> byName = new LinkedHashMap<>();
        for (SchemeType t : Schemes.types()) {
            for (SchemeOption o : t.options()) byName.computeIfAbsent(o.name(), k -> new ArrayList<>()).add(Map.entry(t, o));
        }
        List<OptionSpec> options = new ArrayList<>();
        byName.forEach((name, takers) -> {
            var names = new LinkedHashSet<String>();
            names.add("--" + name);
            Map<String, List<String>> schemesByText = new LinkedHashMap<>(); // schemes whose texts agree share one
            for (var e : takers) {
                names.addAll(e.getValue().aliases());
                schemesByText.computeIfAbsent(e.getValue().description(), k -> new ArrayList<>()).add(e.getKey().name());
            }
            var text = new ArrayList<String>();
            schemesByText.forEach((d, schemes) -> text.add(String.join(", ", schemes) + ": " + d));
            options.add(OptionSpec.builder(names.toArray(String[]::new)).paramLabel(takers.getFirst().getValue().label())
                    .type(String.class).description(String.join("; ", text)).setter(new CommandLine.Model.ISetter() {
                        @Override
                        @SuppressWarnings("unchecked")
                        public <T> T set(T value) {
                            return (T) (value == null ? into.given.remove(name) : into.given.put(name, value.toString()));
                        }
                    }).getter(new CommandLine.Model.IGetter() {
                        @Override
                        @SuppressWarnings("unchecked")
                        public <T> T get() {
                            return (T) into.given.get(name);
                        }
                    }).build());
        });
        return options;
    }

    /** Adds the options to the command that mixes these parameters in (directly, or through another mixin). */
    static final class AddOptions implements CommandLine.IModelTransformer {
        @Override
        public CommandSpec transform(CommandSpec spec) {
            SchemeParameters into = find(spec);
            if (into == null) throw new IllegalStateException(spec.qualifiedName() + " mixes in no SchemeParameters");
            options(into).forEach(spec::addOption);
            return spec;
        }

        private static SchemeParameters find(CommandSpec spec) {
            if (spec.userObject() instanceof SchemeParameters p) return p;
            for (CommandSpec mixin : spec.mixins().values()) {
                SchemeParameters p = find(mixin);
                if (p != null) return p;
            }
            return null;
        }
    }
}
