package dev.veil.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** An out-of-memory error is one line: what needed the memory, the heap limit, and how to raise it. */
class OutOfMemoryTest {
    @Test
    void namesTheVeilMethodThatNeededTheMemoryAndHowToGiveMore() {
        var e = new OutOfMemoryError("Java heap space");
        e.setStackTrace(new StackTraceElement[] {new StackTraceElement("java.util.ArrayList", "grow", null, 1),
            new StackTraceElement("dev.veil.protocol.transcript.TranscriptReader", "readAll", null, 2),
            new StackTraceElement("dev.veil.attack.Experiment", "run", null, 3)});
        String line = OutOfMemory.describe(e, Thread.ofVirtual().name("pool-1").unstarted(() -> {}));
        assertTrue(line.startsWith("out of java heap space in TranscriptReader.readAll (thread pool-1) with a heap limit of "), line);
        assertTrue(line.matches(".*; give Java more, e\\.g\\. VEIL_JAVA_OPTS=-Xmx\\d+g"), line);
        assertFalse(line.contains("\n"));
    }

    @Test
    void findsItAnywhereInTheCauseChain() {
        var oom = new OutOfMemoryError();
        assertEquals(oom, OutOfMemory.find(new RuntimeException(new IllegalStateException(oom))));
        assertEquals(null, OutOfMemory.find(new RuntimeException("no")));
        String line = Main.message(new RuntimeException(oom));
        assertTrue(line.startsWith("out of memory in OutOfMemoryTest.") && line.contains(" with a heap limit of "), line);
    }
}
