package dev.veil.protocol.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.veil.engine.inference.Projection;
import dev.veil.protocol.Codec;
import dev.veil.protocol.Frame;
import dev.veil.protocol.MatrixId;
import dev.veil.protocol.Message;
import dev.veil.protocol.ModelDims;
import dev.veil.protocol.ProtocolException;
import dev.veil.protocol.Rows;
import dev.veil.protocol.transcript.TranscriptReader;
import dev.veil.protocol.transport.Http1;
import dev.veil.protocol.transport.OipChannel;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

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

    /**
     * An OIP server's reply bytes, as the node's HTTP/1.1 client reads them one reply after another on a kept-alive
     * socket: each reply has a status of 200-599 and a body within the cap, or reading ends in a one-line
     * {@link ProtocolException} or the stream's end.
     */
    @FuzzTest(maxDuration = "3m")
    void httpReplyReading(byte[] stream) throws IOException {
        var reader = new Http1.ReplyReader(new ByteArrayInputStream(stream));
        try {
            while (true) {
                var r = reader.next(REPLY_CAP);
                assertTrue(r.status() >= 200 && r.status() <= 599, "status " + r.status());
                assertTrue(r.body().length <= REPLY_CAP, "a body of " + r.body().length + " bytes past the cap");
                assertTrue(r.bytesReceived() >= r.body().length, "bytes counted");
            }
        } catch (ProtocolException e) {
            oneLine(e);
        } catch (java.io.EOFException e) {
            // the stream ended
        }
    }

    private static final int REPLY_CAP = 4096;
    private static final ModelDims DIMS = new ModelDims(8, 16, 1, 2, 2, 4, 32);
    private static final byte[] METADATA = ("{\"name\":\"output\",\"inputs\":[{\"name\":\"input\",\"datatype\":\"FP32\","
            + "\"shape\":[-1,8]}],\"outputs\":[{\"name\":\"output\",\"datatype\":\"FP32\",\"shape\":[-1,32]}]}")
            .getBytes(java.nio.charset.StandardCharsets.UTF_8);

    /**
     * An OIP server's answer to one infer call (the bytes after the request, HTTP head and body), through the node's
     * channel: a LINEAR reply of the shape asked for, a Veil error, or a one-line {@link ProtocolException}.
     */
    @FuzzTest(maxDuration = "3m")
    void oipInferReply(byte[] stream) {
        OipChannel.Transport transport = new OipChannel.Transport() {
            @Override
            public Http1.Reply exchange(String path, int headerLength, byte[] body, long most, Duration timeout) {
                if (body == null) return new Http1.Reply(200, java.util.Map.of(), METADATA, true, 0, 0);
                try {
                    return new Http1.ReplyReader(new ByteArrayInputStream(stream)).next(most);
                } catch (IOException e) {
                    throw new ProtocolException(dev.veil.protocol.ErrorCode.CLOSED, "closed: " + e.getMessage());
                }
            }

            @Override
            public void close() {
            }
        };
        try (var c = OipChannel.over(transport, "127.0.0.1", 8000, Duration.ofSeconds(5), DIMS)) {
            var call = new Message.Linear(new MatrixId(Projection.LM_HEAD, 0), new Rows.Floats(2, 8, new float[16]));
            var m = c.exchange(call);
            if (m instanceof Message.LinearReply r) {
                assertEquals(2, r.output().rows());
                assertEquals(32, r.output().cols());
            } else {
                oneLine(new ProtocolException(((Message.Error) m).code(), ((Message.Error) m).text()));
            }
        } catch (ProtocolException e) {
            oneLine(e);
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
