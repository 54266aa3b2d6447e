package dev.veil.attack;

import dev.veil.protocol.Message;
import dev.veil.protocol.Rows;
import dev.veil.protocol.transcript.TranscriptEntry;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Cuts a transcript into sequences where the deployment that ran them said they ended: the lab runs its
 * sequences one at a time and counts the server's records after each
 * ({@link dev.veil.protocol.transcript.TranscriptWriter#records()}), so every call is attributed to the sequence
 * that made it exactly, whatever the prefill chunking, the batching or the calls' shapes. This is the truth the
 * lab scores against; a curious server has to cut its stream itself ({@link SequenceSplitter}).
 */
final class RecordedSequences {
    private final long[] ends;
    private final Transcripts.Keep keep;
    private final Consumer<Observation> sink;
    private final Map<Observation.Key, Rows> bases = new LinkedHashMap<>();
    private final List<Exchange> open = new ArrayList<>();
    private long index;
    private int next;

    /** @param ends the record count when each sequence had finished, in the order they ran */
    RecordedSequences(long[] ends, Transcripts.Keep keep, Consumer<Observation> sink) {
        for (int i = 1; i < ends.length; i++) {
            if (ends[i] < ends[i - 1]) throw new IllegalArgumentException("sequence ends must not decrease");
        }
        this.ends = ends.clone();
        this.keep = keep;
        this.sink = sink;
    }

    void accept(TranscriptEntry e) {
        index++;
        Exchange x = e.request() instanceof Message.Setup ? null : Transcripts.exchange(e, keep);
        if (next == ends.length) {
            // a session's end may be recorded after its last reply went out; a call may not
            if (x != null) throw new IllegalStateException("the transcript holds calls past the workload's " + ends.length + " sequences");
            return;
        }
        if (e.request() instanceof Message.Setup s) bases.put(Transcripts.key(s.matrix()), s.base());
        if (x != null) open.add(x);
        while (next < ends.length && ends[next] == index) emit();
    }

    /** Checks that the transcript held every sequence; returns how many were handed on. */
    int finish() {
        if (next < ends.length) {
            throw new IllegalStateException("the transcript ends after " + index + " records, but the workload's sequence " + (next + 1)
                    + " ended at record " + ends[next] + " (was recording stopped? see the server's log)");
        }
        return ends.length;
    }

    private void emit() {
        if (open.isEmpty()) throw new IllegalStateException("sequence " + (next + 1) + " of the workload made no call the server recorded");
        sink.accept(new Observation(open, bases));
        open.clear();
        next++;
    }
}
