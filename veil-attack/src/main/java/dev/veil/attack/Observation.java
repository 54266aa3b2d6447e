package dev.veil.attack;

import dev.veil.protocol.Message;
import dev.veil.protocol.Rows;
import dev.veil.protocol.transcript.TranscriptWriter;
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
public record Observation(List<Exchange> exchanges, Map<Key, Rows> bases) {
    public record Key(Site site, int layer) {}

    public Observation {
        exchanges = List.copyOf(exchanges);
        bases = Map.copyOf(bases);
    }

    /** All rows received at (site, layer), one per position, in order (positions × inDim), as numbers. */
    public float[] received(Site site, int layer) {
        return Exchange.values(receivedRows(site, layer));
    }

    /** All rows received at (site, layer), as they travelled (float or ring elements). */
    public Rows receivedRows(Site site, int layer) {
        return concat(site, layer, true);
    }

    /** All rows returned at (site, layer), as they travelled. */
    public Rows returnedRows(Site site, int layer) {
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

    /**
     * Prompt length (BOS included): the rows of the first forward pass, i.e. those received at the first call's
     * site before the first LM-head call (a long prefill may come in several calls); for CMIF, the first call.
     */
    public int promptLength() {
        if (exchanges.isEmpty()) throw new IllegalStateException("empty observation");
        Exchange head = exchanges.getFirst();
        if (head.site() == Site.DECODER_STACK) return head.rows(); // CMIF: one call per forward pass
        int n = 0;
        for (Exchange e : exchanges) {
            if (e.site() == Site.LM_HEAD && head.site() != Site.LM_HEAD) break;
            if (e.site() == head.site() && e.layer() == head.layer()) n += e.rows();
        }
        return n;
    }

    /** Public base Mpub of (site, layer) (m × d_in), or null when the scheme has none. */
    public Rows base(Site site, int layer) {
        return bases.get(new Key(site, layer));
    }

    /** Whether the server computed over a ring (the exact mode). */
    public boolean ring() {
        return exchanges.getFirst().received() instanceof Rows.RingElements;
    }

    private Rows concat(Site site, int layer, boolean in) {
        List<Rows> parts = new ArrayList<>();
        for (Exchange e : exchanges) if (e.site() == site && e.layer() == layer) parts.add(in ? e.received() : e.returned());
        if (parts.isEmpty()) throw new IllegalArgumentException("the server saw no call at " + site.label() + " layer " + layer);
        if (parts.contains(null)) throw new IllegalStateException("the rows returned at " + site.label() + " layer " + layer + " were not kept");
        int rows = parts.stream().mapToInt(Rows::rows).sum(), cols = parts.getFirst().cols(), at = 0;
        if (parts.getFirst() instanceof Rows.RingElements first) {
            long[] data = new long[rows * cols];
            for (Rows p : parts) {
                System.arraycopy(((Rows.RingElements) p).data(), 0, data, at, p.rows() * cols);
                at += p.rows() * cols;
            }
            return new Rows.RingElements(first.ring(), rows, cols, data);
        }
        float[] data = new float[rows * cols];
        for (Rows p : parts) {
            System.arraycopy(((Rows.Floats) p).data(), 0, data, at, p.rows() * cols);
            at += p.rows() * cols;
        }
        return new Rows.Floats(rows, cols, data);
    }

    /**
     * Collects one sequence's exchanges as they happen and, given a transcript writer, writes every call to it as
     * the weights server would (set-up with Mpub and Rpub, then each masked call with its reply).
     */
    public static final class Recorder {
        private final List<Exchange> exchanges = new ArrayList<>();
        private final Map<Key, Rows> bases = new HashMap<>();
        private final TranscriptWriter transcript;

        public Recorder() {
            this(null);
        }

        public Recorder(TranscriptWriter transcript) {
            this.transcript = transcript;
        }

        public synchronized void exchange(Exchange e) {
            exchanges.add(e);
            if (transcript != null) {
                transcript.record(0, new Message.Linear(Transcripts.matrix(e.site(), e.layer()), e.received()),
                        new Message.LinearReply(e.returned(), 0));
            }
        }

        /**
         * The public base Mpub of a matrix and the pool Rpub = Mpub·Wᵀ the server returned for it (with the row
         * scales of its quantized weights in ring mode, else an empty array).
         */
        public synchronized void publicBase(Site site, int layer, Rows base, Rows restoration, float[] rowScales) {
            bases.put(new Key(site, layer), base);
            if (transcript != null) {
                transcript.record(0, new Message.Setup(Transcripts.matrix(site, layer), base), new Message.SetupReply(restoration, rowScales));
            }
        }

        /** The observation so far; the recorder starts a new sequence (bases are per deployment and stay). */
        public synchronized Observation take() {
            var o = new Observation(exchanges, bases);
            exchanges.clear();
            return o;
        }
    }
}
