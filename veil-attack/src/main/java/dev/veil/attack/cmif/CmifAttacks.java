package dev.veil.attack.cmif;

import dev.veil.attack.AttackTarget;
import dev.veil.attack.SchemeAttacks;
import dev.veil.attack.Sweep;
import dev.veil.engine.model.Model;
import dev.veil.node.Scheme;
import dev.veil.node.SchemeOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** CMIF under attack: its own node (the attacker's runs are another tenant's), and the privacy report's sweep over ε. */
public final class CmifAttacks implements SchemeAttacks {
    private static final String EPSILON = "0.5,1,2,4,8,16", SANITIZER = "rnm";

    @Override
    public String scheme() {
        return "cmif";
    }

    @Override
    public List<AttackTarget> views(Scheme scheme, Model model, String modelId, AttackTarget ownNode) {
        return List.of(ownNode);
    }

    /** The token frequencies that pick the sensitive tokens, counted on the attacker's text. */
    @Override
    public Map<String, String> attackerDefaults(Path publicText) {
        return Map.of("corpus", publicText.toString());
    }

    @Override
    public List<SchemeOption> sweepOptions() {
        return List.of(new SchemeOption("epsilon", "ε", "ε values per token (default: " + EPSILON + ")"),
                new SchemeOption("sanitizer", "NAME", "rnm, santext+ or custext+ (default: " + SANITIZER + ")"));
    }

    @Override
    public List<Sweep> sweeps(Map<String, String> given) {
        String sanitizer = given.getOrDefault("sanitizer", SANITIZER);
        return List.of(new Sweep("cmif-" + sanitizer, scheme(), Map.of("sanitizer", sanitizer), "epsilon", "ε=",
                Sweep.values(given.getOrDefault("epsilon", EPSILON)),
                new Sweep.Plot("CMIF (" + sanitizer + ")", "ε per token", "tra-vs-epsilon")));
    }
}
