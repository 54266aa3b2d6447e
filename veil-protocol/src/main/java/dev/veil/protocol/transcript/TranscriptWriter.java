package dev.veil.protocol.transcript;

import dev.veil.protocol.Codec;
import dev.veil.protocol.Message;
import dev.veil.protocol.ModelDims;
import java.io.BufferedOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes the weights server's view of every call to a file (format in PROTOCOL.md, "Transcript"): a header
 * naming the model, then one record per call with the request and reply payloads exactly as the codec
 * encodes them. Thread-safe; records appear in the order calls completed.
 */
public final class TranscriptWriter implements AutoCloseable {
    static final byte[] MAGIC = "VEILTRAN".getBytes(StandardCharsets.US_ASCII);
    static final int FORMAT_VERSION = 1;

    private final DataOutputStream out;
    private final long start = System.nanoTime();
    private long records;

    public TranscriptWriter(Path file, String modelId, ModelDims shape) throws IOException {
        out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(file), 1 << 16));
        byte[] id = modelId.getBytes(StandardCharsets.UTF_8);
        ByteBuffer h = ByteBuffer.allocate(8 + 2 + 2 + id.length + 7 * 4).order(ByteOrder.LITTLE_ENDIAN);
        h.put(MAGIC).putShort((short) FORMAT_VERSION).putShort((short) id.length).put(id);
        for (int v : new int[] {shape.dim(), shape.hiddenDim(), shape.layers(), shape.heads(), shape.kvHeads(), shape.headDim(), shape.vocabSize()}) {
            h.putInt(v);
        }
        out.write(h.array());
    }

    public synchronized void record(int connection, Message request, Message reply) {
        byte[] req = Codec.encode(request), rep = Codec.encode(reply);
        ByteBuffer h = ByteBuffer.allocate(4 + 8 + 1 + 4).order(ByteOrder.LITTLE_ENDIAN);
        try {
            out.write(h.putInt(connection).putLong(System.nanoTime() - start).put((byte) Codec.type(request)).putInt(req.length).array());
            out.write(req);
            out.write(h.clear().put((byte) Codec.type(reply)).putInt(rep.length).array(), 0, 5);
            out.write(rep);
            records++;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the transcript: " + e.getMessage(), e);
        }
    }

    public synchronized long records() {
        return records;
    }

    /** Pushes buffered records to the file. */
    public synchronized void flush() throws IOException {
        out.flush();
    }

    @Override
    public synchronized void close() throws IOException {
        out.close();
    }
}
