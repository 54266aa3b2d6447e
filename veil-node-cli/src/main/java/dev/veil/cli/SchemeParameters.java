package dev.veil.cli;

import dev.veil.node.SchemeOption;
import dev.veil.node.SchemeType;
import dev.veil.node.Schemes;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;

/**
 * Every registered scheme's parameters as options, as each scheme declares them ({@link SchemeType#options()}): the
 * values given, for the registry to validate. Options left out take the scheme's defaults.
 */
@Command(modelTransformer = SchemeParameters.AddOptions.class)
final class SchemeParameters {
    private final Map<String, String> given = new LinkedHashMap<>();

    /** The parameters given on the command line, by name ("m" → "1/8"). */
    Map<String, String> given() {
        return new LinkedHashMap<>(given);
    }

    /** Adds the options to the command that mixes these parameters in (directly, or through another mixin). */
    static final class AddOptions implements CommandLine.IModelTransformer {
        @Override
        public CommandSpec transform(CommandSpec spec) {
            SchemeParameters into = find(spec);
            if (into == null) throw new IllegalStateException(spec.qualifiedName() + " mixes in no SchemeParameters");
            Map<String, List<SchemeOption>> declared = new LinkedHashMap<>();
            for (SchemeType t : Schemes.types()) declared.put(t.name(), t.options());
            // once: a command built on its own and then added to another (a bench registered at run time) meets this twice
            SchemeOptionSpecs.of(declared, into.given).stream().filter(o -> spec.findOption(o.longestName()) == null)
                    .forEach(spec::addOption);
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
