package dev.veil.attack;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Everything the weights server saw while one sequence (a prompt, then its answer token by token) ran: the
 * calls in arrival order and the public bases of the deployment. This is the attacker's whole input; it holds
 * no token, mask or seed.
 *
 * <p>Positions: the first call at a per-token site is the prefill (one row per prompt position, BOS first), each
 * later call a decode step (one row per fed-back answer token). So the server learns the prompt length from the
 * prefill's shape, and nothing else about the tokens.
 */
public record Observation(List<Exchange> exchanges, Map<Key, PublicBase> bases) {
    public record Key(Site site, int layer) {}

    public Observation {
        exchanges = List.copyOf(exchanges);
        bases = Map.copyOf(bases);
    }

    /** All rows received at (site, layer), one per position, in order: positions × inDim. */
    public float[] received(Site site, int layer) {
        return concat(site, layer, true);
    }

    /** All rows returned at (site, layer), one per position, in order. */
    public float[] returned(Site site, int layer) {
        return concat(site, layer, false);
    }

    /** Number of positions seen at (site, layer). */
    public int positions(Site site, int layer) {
        int n = 0;
        for (Exchange e : exchanges) if (e.site() == site && e.layer() == layer) n += e.rows();
        return n;
    }

    /** Number of positions of the sequence: the rows of every call at the first call's site. */
    public int positions() {
        Exchange head = exchanges.getFirst();
        return positions(head.site(), head.layer());
    }

    /** Width of the rows received at (site, layer). */
    public int inDim(Site site, int layer) {
        return first(site, layer).inDim();
    }

    /** Prompt length (BOS included): the rows of the first call of the sequence. */
    public int promptLength() {
        if (exchanges.isEmpty()) throw new IllegalStateException("empty observation");
        return exchanges.getFirst().rows();
    }

    /** Number of forward passes (prefill plus decode steps). */
    public int steps() {
        Exchange head = exchanges.getFirst();
        int n = 0;
        for (Exchange e : exchanges) if (e.site() == head.site() && e.layer() == head.layer()) n++;
        return n;
    }

    /** Public base of (site, layer), or null when the scheme has none. */
    public PublicBase base(Site site, int layer) {
        return bases.get(new Key(site, layer));
    }

    private Exchange first(Site site, int layer) {
        for (Exchange e : exchanges) if (e.site() == site && e.layer() == layer) return e;
        throw new IllegalArgumentException("the server saw no call at " + site.label() + " layer " + layer);
    }

    private float[] concat(Site site, int layer, boolean in) {
        int width = in ? inDim(site, layer) : first(site, layer).outDim();
        float[] out = new float[positions(site, layer) * width];
        int at = 0;
        for (Exchange e : exchanges) {
            if (e.site() != site || e.layer() != layer) continue;
            float[] src = in ? e.received() : e.returned();
            System.arraycopy(src, 0, out, at, src.length);
            at += src.length;
        }
        return out;
    }

    /** Collects one sequence's exchanges as they happen. */
    public static final class Recorder {
        private final List<Exchange> exchanges = new ArrayList<>();
        private final Map<Key, PublicBase> bases = new HashMap<>();

        public synchronized void exchange(Exchange e) {
            exchanges.add(e);
        }

        public synchronized void publicBase(Site site, int layer, PublicBase base) {
            bases.put(new Key(site, layer), base);
        }

        /** The observation so far; the recorder starts a new sequence (bases are per deployment and stay). */
        public synchronized Observation take() {
            var o = new Observation(exchanges, bases);
            exchanges.clear();
            return o;
        }
    }
}
