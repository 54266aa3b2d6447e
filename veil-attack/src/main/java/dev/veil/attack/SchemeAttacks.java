package dev.veil.attack;

import dev.veil.engine.model.Model;
import dev.veil.node.Scheme;
import java.util.List;
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

    /** The views of {@code scheme} its registered adapter gives, else {@code ownNode} alone. */
    static List<AttackTarget> of(Scheme scheme, Model model, String modelId, AttackTarget ownNode) {
        return ServiceLoader.load(SchemeAttacks.class, SchemeAttacks.class.getClassLoader()).stream().map(ServiceLoader.Provider::get)
                .filter(a -> a.scheme().equals(scheme.name())).findFirst()
                .map(a -> a.views(scheme, model, modelId, ownNode)).orElse(List.of(ownNode));
    }
}
