package dev.veil.attack;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.veil.protocol.Message;
import dev.veil.protocol.ModelDims;
import dev.veil.protocol.Rows;
import dev.veil.protocol.transcript.TranscriptWriter;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** CMIF's DECODE records read back as one observation per session, in the order the sessions began. */
class CmifTranscriptsTest {
    @TempDir Path dir;

    private static Rows rows(int n, int dim, float first) {
        float[] d = new float[n * dim];
        d[0] = first;
        return new Rows.Floats(n, dim, d);
    }

    @Test
    void sessionsBecomeSequences() throws Exception {
        int dim = 4;
        Path file = dir.resolve("cmif.transcript");
        try (var w = new TranscriptWriter(file, "m", new ModelDims(dim, 8, 1, 1, 1, 4, 10))) {
            // Two interleaved sessions on connection 1, one on connection 2 with the same handle, one failed call.
            w.record(1, new Message.Decode(7, 0, rows(3, dim, 1)), new Message.DecodeReply(rows(3, dim, 0), 5));
            w.record(1, new Message.Decode(9, 0, rows(2, dim, 2)), new Message.DecodeReply(rows(2, dim, 0), 5));
            w.record(1, new Message.Decode(7, 3, rows(1, dim, 3)), new Message.DecodeReply(rows(1, dim, 0), 5));
            w.record(2, new Message.Decode(7, 0, rows(4, dim, 4)), new Message.DecodeReply(rows(4, dim, 0), 5));
            w.record(1, new Message.Decode(9, 5, rows(1, dim, 5)), new Message.Error(dev.veil.protocol.ErrorCode.BAD_SHAPE, "gap"));
            w.record(1, new Message.EndSession(7), new Message.SessionEnded(7));
        }
        List<Observation> seqs = CmifTranscripts.read(file);
        assertEquals(3, seqs.size());
        assertEquals(3, seqs.get(0).promptLength());
        assertEquals(4, seqs.get(0).positions(Site.DECODER_STACK, 0));
        assertEquals(2, seqs.get(1).positions(Site.DECODER_STACK, 0));
        assertEquals(4, seqs.get(2).promptLength());
        float[] first = seqs.get(0).received(Site.DECODER_STACK, 0);
        assertEquals(1f, first[0]);
        assertEquals(3f, first[3 * dim]);
        assertArrayEquals(new float[dim], java.util.Arrays.copyOfRange(first, dim, 2 * dim));
    }
}
