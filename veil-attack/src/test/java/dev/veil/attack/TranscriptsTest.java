package dev.veil.attack;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

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
                var victim = AttackTarget.simulatedRemo(Stories.MODEL, 0.25, numeric, 1).victim(3, writer);
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
}
