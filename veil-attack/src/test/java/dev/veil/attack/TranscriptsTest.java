package dev.veil.attack;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.veil.attack.remo.RemoAttacks;
import dev.veil.engine.ring.Numeric;
import dev.veil.protocol.ModelDims;
import dev.veil.protocol.Rows;
import dev.veil.protocol.transcript.TranscriptWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The attack lab reads the weights server's transcript file and cuts it into the sequences it carried. */
class TranscriptsTest {
    @TempDir
    Path dir;

    @Test
    void readsBackWhatTheServerSawSequenceBySequence() throws Exception {
        for (Numeric numeric : new Numeric[] {Numeric.FLOAT, Numeric.Z32}) {
            Path file = dir.resolve(numeric + ".transcript");
            List<VictimRun> runs = new ArrayList<>();
            try (var writer = new TranscriptWriter(file, "stories260K", ModelDims.of(Stories.MODEL.config()))) {
                var victim = RemoAttacks.simulated(Stories.MODEL, 0.25, numeric, 1).victim(3, writer);
                runs.add(victim.run(Stories.prompt("a"), 5));                      // BOS + 1 token: the shortest prefill
                runs.add(victim.run(Stories.prompt("Lily went to the park."), 0)); // no decode step at all
                runs.add(victim.run(Stories.prompt("The dog ran after the red ball."), 7));
            }
            List<Observation> read = Transcripts.read(file);
            assertEquals(runs.size(), read.size(), numeric.toString());
            for (int i = 0; i < runs.size(); i++) {
                Observation mine = runs.get(i).observation(), theirs = read.get(i);
                assertEquals(mine.exchanges().size(), theirs.exchanges().size());
                assertEquals(runs.get(i).prompt().length, theirs.promptLength());
                assertEquals(mine.positions(), theirs.positions());
                assertArrayEquals(mine.received(Site.QKV, 0), theirs.received(Site.QKV, 0));
                assertEquals(mine.bases().keySet(), theirs.bases().keySet());
                Rows a = mine.base(Site.GATE_UP, 1), b = theirs.base(Site.GATE_UP, 1);
                assertEquals(a.rows(), b.rows());
                assertEquals(a.cols(), b.cols());
            }
        }
    }

    /** A prompt longer than a prefill chunk (128 rows): the LM head runs only after its last chunk. */
    static final String LONG = "Lily saw a big red ball in the park and she ran to get it but a dog took the ball and ran away so Lily "
            + "sat down under a tree and cried until her mom came with a cake and a new ball for her to play with. ";

    @Test
    void aPrefillInChunksIsOneSequenceToTheLabAndToTheServersHeuristic() throws Exception {
        Path file = dir.resolve("long.transcript");
        List<VictimRun> runs = new ArrayList<>();
        long[] ends = new long[3];
        try (var writer = new TranscriptWriter(file, "stories260K", ModelDims.of(Stories.MODEL.config()))) {
            var victim = RemoAttacks.simulated(Stories.MODEL, 0.25, Numeric.Z32, 1).victim(5, writer);
            String[] texts = {LONG.repeat(4), "a", LONG.repeat(2)};
            for (int i = 0; i < texts.length; i++) {
                runs.add(victim.run(Stories.prompt(texts[i]), 4));
                ends[i] = writer.records();
            }
        }
        assertTrue(runs.getFirst().prompt().length > 2 * 128, "the first prompt must run in three chunks or more");
        List<Observation> exact = new ArrayList<>(), heuristic = new ArrayList<>();
        Transcripts.stream(file, Transcripts.Keep.ALL, ends, exact::add);
        var stats = Transcripts.stream(file, Transcripts.Keep.ALL, heuristic::add);
        assertEquals(0, stats.unattributed());
        for (List<Observation> read : List.of(exact, heuristic)) {
            assertEquals(runs.size(), read.size());
            for (int i = 0; i < runs.size(); i++) {
                Observation mine = runs.get(i).observation(), theirs = read.get(i);
                assertEquals(runs.get(i).prompt().length, theirs.promptLength());
                assertEquals(mine.positions(), theirs.positions());
                assertArrayEquals(mine.received(Site.QKV, 0), theirs.received(Site.QKV, 0));
            }
        }
    }

    @Test
    void theLabsAttributionMustCoverTheTranscriptExactly() throws Exception {
        Path file = dir.resolve("short.transcript");
        long end;
        try (var writer = new TranscriptWriter(file, "stories260K", ModelDims.of(Stories.MODEL.config()))) {
            AttackTarget.plain(Stories.MODEL).victim(1, writer).run(Stories.prompt("a cat"), 2);
            end = writer.records();
        }
        var all = Transcripts.Keep.ALL;
        var tooFew = assertThrows(IllegalStateException.class, () -> Transcripts.stream(file, all, new long[] {end - 1}, o -> {}));
        assertTrue(tooFew.getMessage().contains("calls past the workload's 1 sequences"), tooFew.getMessage());
        var tooMany = assertThrows(IllegalStateException.class, () -> Transcripts.stream(file, all, new long[] {end, end + 5}, o -> {}));
        assertTrue(tooMany.getMessage().contains("sequence 2"), tooMany.getMessage());
    }
}
