package dev.veil.attack;

import dev.veil.engine.inference.Projection;
import dev.veil.protocol.Message;
import dev.veil.protocol.Rows;
import dev.veil.protocol.transcript.TranscriptEntry;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Cuts a weights server's stream of calls into the sequences it carried, one record at a time, as a curious
 * server could from what it sees: the connection a call came on, the matrix it names, its row count and its
 * order. Memory holds only the sequences still open (one per concurrent session) and, of each, what
 * {@link Transcripts.Keep} asks for. This is the attacker's own heuristic; the lab scores against its exact
 * attribution ({@link RecordedSequences}).
 *
 * <p>Talaria: a session's forward pass is a fixed chain of calls (per layer QKV, ATTN_OUT, GATE_UP, FFN_DOWN,
 * then LM_HEAD), each waiting for the previous reply, all with the pass's row count (LM_HEAD: at most that). A
 * first-layer QKV call with more than one row is a prefill and starts a sequence, unless a first pass on its
 * connection ran every layer but not the LM head (a long prefill runs in chunks, the LM head after the last): then it
 * is that prefill's next chunk. Any other call continues the open sequence on its connection that expects that matrix
 * with that row count, the one waiting longest when several do (first in, first out). A sequence that ended its
 * forward pass is over once another sequence on its connection has begun and finished a whole pass since: a live
 * session sends its next step within one sampling step. Calls that fit no open sequence (a transcript cut mid-pass)
 * are counted and dropped.
 *
 * <p>CMIF: decoder-stack calls name their session, so a sequence is a (connection, session)'s calls, restarted
 * when a call is at position 0 and over when the session ends. Its replies (final hidden states) are always kept.
 *
 * <p>Sequences are handed to the sink in the order they began.
 */
final class SequenceSplitter {
    private final int layers;
    private final Transcripts.Keep keep;
    private final Consumer<Observation> sink;
    private final Map<Observation.Key, Rows> bases = new LinkedHashMap<>();
    private final Map<Integer, List<Open>> talaria = new HashMap<>();
    private final Map<Long, Open> cmif = new HashMap<>();
    private final ArrayDeque<Open> order = new ArrayDeque<>();
    private long index, unattributed, emitted;

    /** A sequence still being read. */
    private static final class Open {
        final List<Exchange> exchanges = new ArrayList<>();
        int rows;          // row count of the current forward pass
        int next;          // index of the next call in the pass's chain; 0 = waiting for a new pass
        long passStart;    // record index of the current pass's first call
        long passEnd = -1; // record index of the last completed pass's LM_HEAD call
        long lastNanos;
        boolean closed;
    }

    SequenceSplitter(int layers, Transcripts.Keep keep, Consumer<Observation> sink) {
        this.layers = layers;
        this.keep = keep;
        this.sink = sink;
    }

    void accept(TranscriptEntry e) {
        index++;
        if (e.request() instanceof Message.Setup s) {
            bases.put(Transcripts.key(s.matrix()), s.base());
        } else if (e.request() instanceof Message.Linear l && e.reply() instanceof Message.LinearReply) {
            linear(e, l);
        } else if (e.request() instanceof Message.SeededLinear l && e.reply() instanceof Message.LinearReply) {
            linear(e, l.expand()); // shares' server B: the rows its seed gives are what it can read
        } else if (e.request() instanceof Message.Decode d && e.reply() instanceof Message.DecodeReply) {
            decode(e, d);
        } else if (e.request() instanceof Message.EndSession end) {
            Open seq = cmif.remove(((long) e.connection() << 32) ^ end.session());
            if (seq != null) seq.closed = true;
            drain();
        }
    }

    /** Closes every open sequence and hands the rest to the sink. */
    void finish() {
        for (Open o : order) o.closed = true;
        drain();
    }

    /** Calls that fit no sequence. */
    long unattributed() {
        return unattributed;
    }

    long sequences() {
        return emitted;
    }

    private void linear(TranscriptEntry e, Message.Linear call) {
        var id = call.matrix();
        int step = step(id.projection(), id.layer()), n = call.input().rows(), lmHead = 4 * layers;
        List<Open> open = talaria.computeIfAbsent(e.connection(), c -> new ArrayList<>());
        Open seq = null;
        boolean chunk = false;
        if (step == 0 && n > 1) {
            // A long prefill runs in chunks, the LM head only after the last: a first pass that ran every layer but
            // not the LM head is waiting for its next chunk.
            seq = waitingLongest(open, o -> o.passEnd < 0 && o.next == lmHead);
            chunk = seq != null;
            if (seq == null) seq = start(open);
        } else {
            seq = waitingLongest(open, o -> o.next == step && (step == 0 || (step == lmHead ? n <= o.rows : n == o.rows)));
            if (seq == null && step == 0) seq = start(open); // a one-token prompt
        }
        if (seq == null) {
            unattributed++;
            return;
        }
        if (step == 0) {
            seq.rows = n;
            if (!chunk) seq.passStart = index;
        }
        seq.lastNanos = e.nanos();
        Exchange x = Transcripts.exchange(e, keep);
        if (x != null) seq.exchanges.add(x);
        if (step == lmHead) {
            seq.next = 0;
            seq.passEnd = index;
            for (Open o : open) {
                if (o != seq && o.next == 0 && o.passEnd >= 0 && o.passEnd < seq.passStart) o.closed = true;
            }
            open.removeIf(o -> o.closed);
            drain();
        } else {
            seq.next = step + 1;
        }
    }

    /** Of the open sequences that {@code fits} accepts, the one waiting longest for its next call, or null. */
    private static Open waitingLongest(List<Open> open, java.util.function.Predicate<Open> fits) {
        Open best = null;
        for (Open o : open) if (fits.test(o) && (best == null || o.lastNanos < best.lastNanos)) best = o;
        return best;
    }

    private Open start(List<Open> open) {
        var seq = new Open();
        open.add(seq);
        order.add(seq);
        return seq;
    }

    private void decode(TranscriptEntry e, Message.Decode d) {
        long key = ((long) e.connection() << 32) ^ d.session();
        Open seq = cmif.get(key);
        if (seq == null || d.position() == 0) {
            if (seq != null) seq.closed = true;
            seq = new Open();
            cmif.put(key, seq);
            order.add(seq);
        }
        seq.exchanges.add(Transcripts.exchange(e, keep));
        drain();
    }

    /** Position of (projection, layer) in a forward pass's chain of calls. */
    private int step(Projection p, int layer) {
        return p == Projection.LM_HEAD ? 4 * layers : 4 * layer + p.ordinal();
    }

    private void drain() {
        while (!order.isEmpty() && order.peekFirst().closed) {
            Open o = order.pollFirst();
            if (o.exchanges.isEmpty()) continue;
            emitted++;
            sink.accept(new Observation(o.exchanges, bases));
        }
    }
}
