package dev.veil.attack;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * CMIF's calls of a weights server's transcript as the attack lab's observations: one sequence per (connection,
 * session), in the order the sequences began, each call an exchange at {@link Site#DECODER_STACK} (received: the
 * input embeddings of the sanitized tokens; returned: the final hidden states). A session restarted at position
 * 0 starts a new sequence. {@link Transcripts} reads them (with any Talaria sequences) as a stream.
 */
public final class CmifTranscripts {
    private CmifTranscripts() {}

    public static List<Observation> read(Path file) throws IOException {
        return Transcripts.read(file).stream().filter(o -> o.exchanges().getFirst().site() == Site.DECODER_STACK).toList();
    }
}
