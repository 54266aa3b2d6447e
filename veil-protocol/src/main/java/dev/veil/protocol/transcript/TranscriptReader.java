package dev.veil.protocol.transcript;

import dev.veil.protocol.Codec;
import dev.veil.protocol.ModelDims;
import dev.veil.protocol.ProtocolException;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Reads a transcript written by {@link TranscriptWriter}, one entry at a time. A file whose writer was killed inside
 * its last record (a crash, a SIGKILL) ends in a torn record: the reader stops before it, keeps every whole record,
 * and says so in one line ({@link #tornTail}). Anything else that is not a record is an error.
 */
public final class TranscriptReader implements AutoCloseable {
    private static final int MAX_RECORD = Integer.MAX_VALUE - 16;

    private final DataInputStream in;
    private final Path file;
    private final String modelId;
    private final ModelDims shape;
    private long records;
    private String tornTail;

    public TranscriptReader(Path file) throws IOException {
        this.file = file;
        this.in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file), 1 << 16));
        try {
            byte[] magic = in.readNBytes(8);
            if (!Arrays.equals(magic, TranscriptWriter.MAGIC)) throw new IOException(file + ": not a Veil transcript");
            ByteBuffer b = le(4);
            int version = b.getShort(), idLength = Short.toUnsignedInt(b.getShort());
            if (version != TranscriptWriter.FORMAT_VERSION) throw new IOException(file + ": transcript format " + version + " is not supported");
            modelId = new String(bytes(idLength), StandardCharsets.UTF_8);
            b = le(28);
            shape = new ModelDims(b.getInt(), b.getInt(), b.getInt(), b.getInt(), b.getInt(), b.getInt(), b.getInt());
        } catch (EOFException e) {
            in.close();
            throw new IOException(file + ": transcript header is truncated");
        } catch (IOException e) {
            in.close();
            throw e;
        }
    }

    /** Reads a whole transcript; a torn last record is noted on stderr. */
    public static Transcript readAll(Path file) throws IOException {
        return readAll(file, note -> System.err.println("veil: " + note));
    }

    /** Reads a whole transcript, giving {@code note} the line about a torn last record if there is one. */
    public static Transcript readAll(Path file, java.util.function.Consumer<String> note) throws IOException {
        try (var r = new TranscriptReader(file)) {
            List<TranscriptEntry> entries = new ArrayList<>();
            for (TranscriptEntry e; (e = r.next()) != null; ) entries.add(e);
            if (r.tornTail() != null) note.accept(r.tornTail());
            return new Transcript(r.modelId, r.shape, entries);
        }
    }

    /** Once {@link #next} has met a torn last record: one line saying so and what was kept; else null. */
    public String tornTail() {
        return tornTail;
    }

    public String modelId() { return modelId; }

    public ModelDims shape() { return shape; }

    /** The next entry, or null at the end of the file or at a torn last record. */
    public TranscriptEntry next() throws IOException {
        int first = in.read();
        if (first < 0) return null;
        try {
            ByteBuffer b = ByteBuffer.allocate(17).order(ByteOrder.LITTLE_ENDIAN);
            b.put((byte) first);
            in.readFully(b.array(), 1, 16);
            int connection = b.getInt(0);
            long nanos = b.getLong(4);
            int reqType = b.get(12);
            byte[] req = bytes(b.getInt(13));
            ByteBuffer r = le(5);
            int repType = r.get();
            byte[] rep = bytes(r.getInt());
            var entry = new TranscriptEntry(connection, nanos, Codec.decode(reqType, req), Codec.decode(repType, rep));
            records++;
            return entry;
        } catch (EOFException e) {
            tornTail = file + ": the last record is torn (its writer stopped inside it, as in a crash); kept the " + records
                    + " whole record" + (records == 1 ? "" : "s") + " before it";
            return null;
        } catch (ProtocolException e) {
            throw new IOException(file + ": corrupt record: " + e.getMessage());
        }
    }

    private ByteBuffer le(int n) throws IOException {
        return ByteBuffer.wrap(bytes(n)).order(ByteOrder.LITTLE_ENDIAN);
    }

    private byte[] bytes(int n) throws IOException {
        if (n < 0 || n > MAX_RECORD) throw new IOException(file + ": corrupt record length " + n);
        byte[] a = in.readNBytes(n); // grows as bytes arrive: a torn or corrupt length allocates no more than the file holds
        if (a.length < n) throw new EOFException();
        return a;
    }

    @Override
    public void close() throws IOException {
        in.close();
    }
}
