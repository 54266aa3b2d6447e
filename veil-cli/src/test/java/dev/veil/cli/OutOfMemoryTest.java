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

    @Test
    void anyOtherErrorIsPrintedOnceWithoutAPreviousHandlerNotHandedRoundInACircle() {
        // The JVM's default handler is this handler; a thread's group hands an uncaught error to the default handler,
        // so passing it to the group again recursed until a StackOverflowError.
        var handler = OutOfMemory.handler(null);
        var saved = Thread.getDefaultUncaughtExceptionHandler();
        var savedErr = System.err;
        var err = new java.io.ByteArrayOutputStream();
        try {
            Thread.setDefaultUncaughtExceptionHandler(handler);
            System.setErr(new java.io.PrintStream(err, true, java.nio.charset.StandardCharsets.UTF_8));
            handler.uncaughtException(Thread.ofPlatform().name("worker-1").unstarted(() -> {}), new IllegalStateException("boom"));
        } finally {
            System.setErr(savedErr);
            Thread.setDefaultUncaughtExceptionHandler(saved);
        }
        String printed = err.toString(java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(printed.startsWith("Exception in thread \"worker-1\" java.lang.IllegalStateException: boom"), printed);
        assertFalse(printed.contains("StackOverflowError"), printed);
    }
}
