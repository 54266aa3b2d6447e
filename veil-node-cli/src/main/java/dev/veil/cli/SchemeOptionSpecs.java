package dev.veil.cli;

import dev.veil.node.SchemeOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Model.IGetter;
import picocli.CommandLine.Model.ISetter;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Options that schemes declare, as picocli options: one per name, however many schemes take it, its usage text saying
 * what it sets for each ("remo-otp, shares: exact (default) or z32"). A value given goes to a map, by name.
 */
final class SchemeOptionSpecs {
    private SchemeOptionSpecs() {}

    /** @param declared each scheme's options, by scheme name, in registration order */
    static List<OptionSpec> of(Map<String, List<SchemeOption>> declared, Map<String, String> into) {
        Map<String, Map<String, List<String>>> byName = new LinkedHashMap<>(); // name → text → schemes whose texts agree
        Map<String, SchemeOption> first = new LinkedHashMap<>();
        Map<String, LinkedHashSet<String>> names = new LinkedHashMap<>();
        declared.forEach((scheme, options) -> {
            for (SchemeOption o : options) {
                first.putIfAbsent(o.name(), o);
                names.computeIfAbsent(o.name(), k -> new LinkedHashSet<>(List.of("--" + k))).addAll(o.aliases());
                byName.computeIfAbsent(o.name(), k -> new LinkedHashMap<>()).computeIfAbsent(o.description(), k -> new ArrayList<>())
                        .add(scheme);
            }
        });
        List<OptionSpec> specs = new ArrayList<>();
        byName.forEach((name, texts) -> {
            var text = new ArrayList<String>();
            texts.forEach((d, schemes) -> text.add(String.join(", ", schemes) + ": " + d));
            specs.add(OptionSpec.builder(names.get(name).toArray(String[]::new)).paramLabel(first.get(name).label()).type(String.class)
                    .description(String.join("; ", text)).setter(new ISetter() {
                        @Override
                        @SuppressWarnings("unchecked")
                        public <T> T set(T value) {
                            return (T) (value == null ? into.remove(name) : into.put(name, value.toString()));
                        }
                    }).getter(new IGetter() {
                        @Override
                        @SuppressWarnings("unchecked")
                        public <T> T get() {
                            return (T) into.get(name);
                        }
                    }).build());
        });
        return specs;
    }
}
