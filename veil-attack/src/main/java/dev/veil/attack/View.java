package dev.veil.attack;

import dev.veil.protocol.Rows;
import java.util.Collections;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * What an attack reads at a site: the rows as received, or only what survives every possible ReMO mask, i.e.
 * their component outside rowspace(Mpub) ({@link Complement} in float mode, {@link RingKernel} over a ring).
 * Candidates (activations the attacker computes itself) are mapped the same way, so they compare directly.
 */
public enum View {
    RAW, NULL_SPACE;

    private static final Map<Rows, Object> PROJECTIONS = Collections.synchronizedMap(new WeakHashMap<>());

    /** The received rows at (site, layer) in this view: positions × width. */
    public float[] observed(Observation o, Site site, int layer) {
        if (this == RAW) return o.received(site, layer);
        Object p = projection(o, site, layer);
        Rows rows = o.receivedRows(site, layer);
        return p instanceof RingKernel k ? k.project(((Rows.RingElements) rows).data()) : ((Complement) p).project(((Rows.Floats) rows).data());
    }

    /** Activations (rows of width d_in at the site) in this view, as they would look if observed. */
    public float[] candidates(Observation o, Site site, int layer, float[] activations) {
        if (this == RAW) return activations;
        Object p = projection(o, site, layer);
        return p instanceof RingKernel k ? k.projectActivations(activations) : ((Complement) p).project(activations);
    }

    /** Whether gradients pass through this view (not over a ring). */
    public boolean differentiable(Observation o) {
        return this == RAW || !o.ring();
    }

    private static Object projection(Observation o, Site site, int layer) {
        Rows base = o.base(site, layer);
        if (base == null) {
            throw new IllegalArgumentException("the null-space view needs a public base at " + site.label() + " layer " + layer
                    + "; this scheme publishes none");
        }
        return PROJECTIONS.computeIfAbsent(base, b -> b instanceof Rows.RingElements r ? RingKernel.of(r) : Complement.of((Rows.Floats) b));
    }
}
