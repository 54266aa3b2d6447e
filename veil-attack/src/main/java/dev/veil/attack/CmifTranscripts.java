package dev.veil.attack;

import dev.veil.protocol.Message;
import dev.veil.protocol.transcript.Transcript;
import dev.veil.protocol.transcript.TranscriptEntry;
import dev.veil.protocol.transcript.TranscriptReader;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the CMIF calls of a weights server's transcript as the attack lab's observations: one sequence per
 * (connection, session), in the order the sequences began, each call an exchange at
 * {@link Site#DECODER_STACK} (received: the input embeddings of the sanitized tokens; returned: the final
 * hidden states). A session restarted at position 0 starts a new sequence.
 */
public final class CmifTranscripts {
    private CmifTranscripts() {}

    public static List<Observation> read(Path file) throws IOException {
        return observations(TranscriptReader.readAll(file));
    }

    public static List<Observation> observations(Transcript t) {
        record Key(int connection, long session) {}
        Map<Key, List<Exchange>> open = new LinkedHashMap<>();
        List<List<Exchange>> sequences = new ArrayList<>();
        for (TranscriptEntry e : t.decodeCalls()) {
            if (!(e.reply() instanceof Message.DecodeReply) || !(e.request() instanceof Message.Decode d)) continue;
            var key = new Key(e.connection(), d.session());
            List<Exchange> sequence = open.get(key);
            if (sequence == null || d.position() == 0) {
                sequence = new ArrayList<>();
                open.put(key, sequence);
                sequences.add(sequence);
            }
            sequence.add(new Exchange(Site.DECODER_STACK, 0, e.input(), e.output()));
        }
        return sequences.stream().map(s -> new Observation(s, Map.of())).toList();
    }
}
