package dev.veil.attack;

import dev.veil.protocol.MatrixId;
import dev.veil.protocol.Message;
import dev.veil.protocol.transcript.TranscriptEntry;
import dev.veil.protocol.transcript.TranscriptReader;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * Reads a weights server's transcript (PROTOCOL.md, "Transcript file") as the attack lab's observations, one
 * sequence at a time: the file is streamed record by record and cut into sequences by {@link SequenceSplitter}
 * (by connection, matrix order and row counts, as the server itself could), so memory holds the sequences still
 * open and, of each, only what the caller keeps, whatever the size of the file.
 */
public final class Transcripts {
    private Transcripts() {}

    /**
     * What to keep of each sequence: the rows received at the sites {@code sites} accepts (the first layer's QKV
     * and the LM head, which mark positions, are always kept), and whether the rows the server returned are kept
     * too (CMIF's replies always are).
     */
    public record Keep(Predicate<Observation.Key> sites, boolean returned) {
        /** Everything the server saw. */
        public static final Keep ALL = new Keep(k -> true, true);

        /** Only what was received at {@code sites}. */
        public static Keep received(Collection<Observation.Key> sites) {
            Set<Observation.Key> set = Set.copyOf(sites);
            return new Keep(set::contains, false);
        }
    }

    /** What a read found: sequences handed on, and calls that fit no sequence. */
    public record Stats(long sequences, long unattributed) {}

    /** Every sequence of {@code file}, whole (for transcripts that fit in memory: tests, small workloads). */
    public static List<Observation> read(Path file) throws IOException {
        List<Observation> out = new ArrayList<>();
        stream(file, Keep.ALL, out::add);
        return out;
    }

    /** Streams the sequences of {@code file} to {@code sink} in the order they began, keeping what {@code keep} says. */
    public static Stats stream(Path file, Keep keep, Consumer<Observation> sink) throws IOException {
        try (var reader = new TranscriptReader(file)) {
            var splitter = new SequenceSplitter(reader.shape().layers(), keep, sink);
            for (TranscriptEntry e; (e = reader.next()) != null; ) splitter.accept(e);
            if (reader.tornTail() != null) System.err.println("veil: " + reader.tornTail());
            splitter.finish();
            return new Stats(splitter.sequences(), splitter.unattributed());
        }
    }

    /**
     * Streams the sequences of {@code file} as the deployment that wrote it attributed them: sequence i is the records
     * up to {@code ends[i]} that no earlier sequence holds ({@link RecordedSequences}). Fails unless the file holds
     * exactly those records.
     */
    public static Stats stream(Path file, Keep keep, long[] ends, Consumer<Observation> sink) throws IOException {
        try (var reader = new TranscriptReader(file)) {
            var sequences = new RecordedSequences(ends, keep, sink);
            for (TranscriptEntry e; (e = reader.next()) != null; ) sequences.accept(e);
            if (reader.tornTail() != null) System.err.println("veil: " + reader.tornTail());
            return new Stats(sequences.finish(), 0);
        }
    }

    /**
     * The exchange one record holds, as {@code keep} keeps it, or null (set-up, session ends, failed calls, sites not
     * kept). The first layer's QKV and the LM head mark positions and passes, so they are always kept, and so are
     * CMIF's replies.
     */
    static Exchange exchange(TranscriptEntry e, Keep keep) {
        if (e.isDecode() && e.reply() instanceof Message.DecodeReply) return new Exchange(Site.DECODER_STACK, 0, e.input(), e.output());
        if (!e.isLinear() || !(e.reply() instanceof Message.LinearReply)) return null;
        Observation.Key key = key(e.matrix());
        boolean marks = key.site() == Site.LM_HEAD || key.site() == Site.QKV && key.layer() == 0;
        if (!marks && !keep.sites().test(key)) return null;
        return new Exchange(key.site(), key.layer(), e.input(), keep.returned() ? e.output() : null);
    }

    static Observation.Key key(MatrixId id) {
        return new Observation.Key(Site.of(id.projection()), id.layer());
    }

    static MatrixId matrix(Site site, int layer) {
        return new MatrixId(site.projection(), layer);
    }
}
