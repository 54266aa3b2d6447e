package dev.veil.protocol.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.veil.protocol.Codec;
import dev.veil.protocol.Frame;
import dev.veil.protocol.Message;
import dev.veil.protocol.ProtocolException;
import dev.veil.protocol.transcript.TranscriptReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Bytes from a hostile peer or a tampered file: whatever they are, decoding ends in a value or a one-line
 * {@link ProtocolException} / {@link IOException}, never another exception or a hang. Without JAZZER_FUZZ=1
 * each test replays its committed corpus (src/test/resources/.../ProtocolFuzzTestInputs); see docs/hardening.md.
 */
class ProtocolFuzzTest {
    @FuzzTest(maxDuration = "3m")
    void messageDecoding(FuzzedDataProvider data) {
        int type = data.consumeInt(0, 12);
        byte[] payload = data.consumeRemainingAsBytes();
        Message m;
        try {
            m = Codec.decode(type, payload);
        } catch (ProtocolException e) {
            oneLine(e);
            return;
        }
        assertEquals(payload.length, Codec.encode(m).length, "a decoded message encodes back to as many bytes");
    }

    @FuzzTest(maxDuration = "3m")
    void frameReading(byte[] stream) throws IOException {
        var in = new ByteArrayInputStream(stream);
        try {
            for (Frame f; (f = Frame.read(in, 1 << 20)) != null; ) {
                try {
                    f.message();
                } catch (ProtocolException e) {
                    oneLine(e);
                }
            }
        } catch (ProtocolException e) {
            oneLine(e);
        } catch (java.io.EOFException e) {
            // a stream cut inside a frame
        }
    }

    private static final Path TRANSCRIPT = temp();

    private static Path temp() {
        try {
            Path p = Files.createTempFile("veil-fuzz", ".veiltr");
            p.toFile().deleteOnExit();
            return p;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @FuzzTest(maxDuration = "3m")
    void transcriptReading(byte[] file) throws IOException {
        Files.write(TRANSCRIPT, file);
        try {
            TranscriptReader.readAll(TRANSCRIPT);
        } catch (IOException e) {
            oneLine(e);
        }
    }

    static void oneLine(Exception e) {
        if (e.getMessage() == null || e.getMessage().isBlank() || e.getMessage().contains("\n")) {
            throw new AssertionError("not a one-line error: " + e, e);
        }
    }
}
