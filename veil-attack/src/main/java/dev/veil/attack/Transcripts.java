package dev.veil.attack;

import dev.veil.engine.inference.Projection;
import dev.veil.protocol.MatrixId;
import dev.veil.protocol.Message;
import dev.veil.protocol.Rows;
import dev.veil.protocol.transcript.Transcript;
import dev.veil.protocol.transcript.TranscriptEntry;
import dev.veil.protocol.transcript.TranscriptReader;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a weights server's transcript (PROTOCOL.md, "Transcript file") as the attack lab's observations.
 *
 * <p>The server keeps no sessions, so it cuts the stream into sequences itself, as any curious server could:
 * every forward pass ends with its one LM-head call, and a forward pass whose first-layer QKV calls carry more
 * than one row is a prefill, which starts a new sequence (a decode step carries one row). This needs prompts of
 * at least two tokens (BOS and one more) and sequences run one after another, which the attack lab's workload
 * guarantees. CMIF's decoder-stack calls name their session (the server keeps its KV cache), so there a
 * sequence is simply a session's calls ({@link CmifTranscripts}).
 */
public final class Transcripts {
    private Transcripts() {}

    public static List<Observation> read(Path file) throws IOException {
        return observations(TranscriptReader.readAll(file));
    }

    public static List<Observation> observations(Transcript t) {
        List<Observation> sequences = talaria(t);
        sequences.addAll(CmifTranscripts.observations(t));
        return sequences;
    }

    static List<Observation> talaria(Transcript t) {
        Map<Observation.Key, Rows> bases = new HashMap<>();
        t.publicBases().forEach((id, base) -> bases.put(key(id), base));
        List<List<Exchange>> forwards = new ArrayList<>();
        List<Exchange> current = new ArrayList<>();
        for (TranscriptEntry e : t.linearCalls()) {
            if (!(e.reply() instanceof Message.LinearReply)) continue; // a failed call returned nothing
            var id = e.matrix();
            current.add(new Exchange(Site.of(id.projection()), id.layer(), e.input(), e.output()));
            if (id.projection() == Projection.LM_HEAD) {
                forwards.add(current);
                current = new ArrayList<>();
            }
        }
        if (!current.isEmpty()) forwards.add(current);
        List<Observation> sequences = new ArrayList<>();
        List<Exchange> sequence = new ArrayList<>();
        for (List<Exchange> f : forwards) {
            int firstRows = f.stream().filter(x -> x.site() == Site.QKV && x.layer() == 0).mapToInt(Exchange::rows).sum();
            if (firstRows > 1 && !sequence.isEmpty()) {
                sequences.add(new Observation(sequence, bases));
                sequence = new ArrayList<>();
            }
            sequence.addAll(f);
        }
        if (!sequence.isEmpty()) sequences.add(new Observation(sequence, bases));
        return sequences;
    }

    static Observation.Key key(MatrixId id) {
        return new Observation.Key(Site.of(id.projection()), id.layer());
    }

    static MatrixId matrix(Site site, int layer) {
        return new MatrixId(site.projection(), layer);
    }
}
