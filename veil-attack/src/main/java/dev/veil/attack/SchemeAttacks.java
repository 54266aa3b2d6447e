package dev.veil.attack;

import dev.veil.engine.model.Model;
import dev.veil.node.Scheme;
import dev.veil.node.SchemeOption;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;

/**
 * How the attack lab deploys one registered scheme where running the scheme's own node is not the whole story: a
 * class in the scheme's package of this module, registered by a line in
 * {@code META-INF/services/dev.veil.attack.SchemeAttacks} and found by the scheme's name. It lives here, not beside
 * the scheme in veil-node: the trusted node's jar holds no attack code.
 */
public interface SchemeAttacks {
    /** The registered name of the scheme it deploys. */
    String scheme();

    /**
     * Every view of {@code scheme} an attacker may hold, as targets. {@code ownNode} is the default: the scheme's own
     * trusted node and weights servers in this process, the first server's view recorded.
     */
    List<AttackTarget> views(Scheme scheme, Model model, String modelId, AttackTarget ownNode);

    /**
     * Parameters the lab suggests to the scheme where none are given, from {@code publicText}, the attacker's own text
     * (cmif: count token frequencies on it); none by default.
     */
    default Map<String, String> attackerDefaults(Path publicText) {
        return Map.of();
    }

    /** Every adapter's {@link #attackerDefaults}: a scheme takes the ones it reads. */
    static Map<String, String> defaults(Path publicText) {
        Map<String, String> defaults = new LinkedHashMap<>();
        for (var a : all()) defaults.putAll(a.attackerDefaults(publicText));
        return defaults;
    }

    /** The privacy report's options for sweeping this scheme (a list: comma-separated values); none by default. */
    default List<SchemeOption> sweepOptions() {
        return List.of();
    }

    /** The privacy report's lines for this scheme, from its sweep options as given by name (those left out: defaults). */
    default List<Sweep> sweeps(Map<String, String> given) {
        return List.of(Sweep.once(scheme()));
    }

    /** Every registered adapter. */
    static List<SchemeAttacks> all() {
        return ServiceLoader.load(SchemeAttacks.class, SchemeAttacks.class.getClassLoader()).stream().map(ServiceLoader.Provider::get)
                .toList();
    }

    private static Optional<SchemeAttacks> registered(String scheme) {
        return all().stream().filter(a -> a.scheme().equals(scheme)).findFirst();
    }

    /** The views of {@code scheme} its registered adapter gives, else {@code ownNode} alone. */
    static List<AttackTarget> of(Scheme scheme, Model model, String modelId, AttackTarget ownNode) {
        return registered(scheme.name()).map(a -> a.views(scheme, model, modelId, ownNode)).orElse(List.of(ownNode));
    }

    /** The privacy report's lines for {@code scheme}: its adapter's sweeps, else the scheme once at its defaults. */
    static List<Sweep> sweeps(String scheme, Map<String, String> given) {
        return registered(scheme).map(a -> a.sweeps(given)).orElse(List.of(Sweep.once(scheme)));
    }
}
