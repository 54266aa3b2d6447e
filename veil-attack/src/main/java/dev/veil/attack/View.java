package dev.veil.attack;

import java.util.Collections;
import java.util.Map;
import java.util.WeakHashMap;

/** What an attack reads at a site: the rows as received, or their component outside rowspace(Mpub). */
public enum View {
    RAW, NULL_SPACE;

    private static final Map<PublicBase, Complement> COMPLEMENTS = Collections.synchronizedMap(new WeakHashMap<>());

    /** The received rows at (site, layer), in this view. */
    public float[] rows(Observation o, Site site, int layer) {
        return project(o, site, layer, o.received(site, layer));
    }

    /** Rows of width inDim(site) (observed or candidate), in this view of observation {@code o}. */
    public float[] project(Observation o, Site site, int layer, float[] rows) {
        if (this == RAW) return rows;
        PublicBase base = o.base(site, layer);
        if (base == null) throw new IllegalArgumentException("the null-space view needs a public base at " + site.label()
                + " layer " + layer + "; this scheme publishes none");
        return COMPLEMENTS.computeIfAbsent(base, Complement::of).project(rows);
    }
}
