package dev.veil.protocol.transcript;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.veil.engine.Eventually;
import dev.veil.engine.inference.Projection;
import dev.veil.engine.ring.Ring;
import dev.veil.protocol.MatrixId;
import dev.veil.protocol.Message;
import dev.veil.protocol.ModelDims;
import dev.veil.protocol.Rows;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TranscriptTest {
    @Test
    void writtenCallsReadBackInOrder(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("t.veiltr");
        var shape = new ModelDims(64, 172, 5, 8, 4, 8, 512);
        var id = new MatrixId(Projection.GATE_UP, 3);
        var base = new Rows.RingElements(Ring.Z64, 2, 3, new long[] {1, -2, 3, Long.MAX_VALUE, 5, Long.MIN_VALUE});
        var pool = new Rows.RingElements(Ring.Z64, 2, 1, new long[] {7, 8});
        var masked = new Rows.Floats(1, 3, new float[] {0.5f, -1f, 2f});
        try (var w = new TranscriptWriter(file, "stories", shape)) {
            w.record(3, new Message.Setup(id, base), new Message.SetupReply(pool, new float[] {0.25f}));
            w.record(4, new Message.Linear(id, masked), new Message.LinearReply(new Rows.Floats(1, 1, new float[] {9f}), 100));
            assertEquals(2, w.records());
        }
        Transcript t = TranscriptReader.readAll(file);
        assertEquals("stories", t.modelId());
        assertEquals(shape, t.shape());
        assertEquals(2, t.entries().size());
        var setup = t.entries().get(0);
        assertTrue(setup.isSetup());
        assertEquals(3, setup.connection());
        assertArrayEquals(base.data(), ((Rows.RingElements) t.publicBases().get(id)).data());
        var call = t.linearCalls().getFirst();
        assertEquals(id, call.matrix());
        assertArrayEquals(masked.data(), ((Rows.Floats) call.input()).data());
        assertArrayEquals(new float[] {9f}, ((Rows.Floats) call.output()).data());
        assertTrue(call.nanos() >= setup.nanos());

        byte[] all = Files.readAllBytes(file);
        Files.write(dir.resolve("cut"), java.util.Arrays.copyOf(all, all.length - 3));
        var notes = new java.util.ArrayList<String>();
        var torn = TranscriptReader.readAll(dir.resolve("cut"), notes::add); // as after a crash inside the last write
        assertEquals(1, torn.entries().size());
        assertEquals(List.of(dir.resolve("cut") + ": the last record is torn (its writer stopped inside it, as in a crash); kept the 1"
                + " whole record before it"), notes);
        Files.writeString(dir.resolve("junk"), "hello world, not a transcript");
        assertThrows(IOException.class, () -> TranscriptReader.readAll(dir.resolve("junk")));
    }

    @Test
    void eachRecordIsInTheFileOnceTheWriterHasTakenItWithoutAFlushOrClose(@TempDir Path dir) throws Exception {
        // the server may be killed at any moment (SIGKILL, a crash): what the writer took must already be the file's
        Path file = dir.resolve("t.veiltr");
        var id = new MatrixId(Projection.QKV, 0);
        var w = new TranscriptWriter(file, "m", new ModelDims(4, 8, 1, 1, 1, 4, 16));
        try {
            for (int i = 0; i < 3; i++) {
                var x = new Rows.Floats(1, 4, new float[] {i, i, i, i});
                w.record(1, new Message.Linear(id, x), new Message.LinearReply(x, 0));
            }
            Eventually.until("three records in the file", () -> entriesNow(file) == 3);
        } finally {
            w.close();
        }
    }

    private static int entriesNow(Path file) {
        try {
            return TranscriptReader.readAll(file, note -> {}).entries().size(); // a record being written reads as a torn tail
        } catch (IOException e) {
            return -1; // the header is not there yet
        }
    }

    @Test
    void recordingStopsAtTheFilesBoundWithOneLoggedLine(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("t.veiltr");
        var shape = new ModelDims(4, 8, 1, 1, 1, 4, 16);
        var lines = new java.util.concurrent.CopyOnWriteArrayList<String>();
        var id = new MatrixId(Projection.QKV, 0);
        try (var w = new TranscriptWriter(file, "m", shape, 1000, lines::add)) {
            for (int i = 0; i < 100; i++) {
                var x = new Rows.Floats(1, 4, new float[] {i, i, i, i});
                w.record(1, new Message.Linear(id, x), new Message.LinearReply(x, 0));
            }
            w.flush();
            assertTrue(w.stopped());
        }
        assertTrue(Files.size(file) <= 1000, "the file stays within its bound: " + Files.size(file));
        assertEquals(1, lines.size(), lines.toString());
        assertTrue(lines.getFirst().contains("recording stopped") && lines.getFirst().contains("bound of 1000 bytes"), lines.getFirst());
        var t = TranscriptReader.readAll(file); // a whole prefix: every record complete, in order
        assertTrue(t.entries().size() > 5 && t.entries().size() < 100, "entries: " + t.entries().size());
        for (int i = 0; i < t.entries().size(); i++) assertEquals((float) i, ((Rows.Floats) t.entries().get(i).input()).data()[0]);
    }
}
