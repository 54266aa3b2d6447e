package dev.veil.protocol.transcript;

import dev.veil.protocol.Codec;
import dev.veil.protocol.Message;
import dev.veil.protocol.ModelDims;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.function.Consumer;

/**
 * Writes the weights server's view of every call to a file (format in PROTOCOL.md, "Transcript"): a header
 * naming the model, then one record per call with the request and reply payloads exactly as the codec
 * encodes them. {@link #record} only queues (it runs on the server's shared batcher thread); a writer thread
 * encodes and writes. The file is bounded: once the next record would pass {@code maxBytes}, or the writer
 * falls {@link #MAX_PENDING} bytes behind, recording stops for good with one logged line, so the file is always
 * a whole prefix of what the server saw. Thread-safe; records appear in the order calls completed.
 *
 * <p>Each record goes to the file in one gathering write as soon as the writer thread takes it, with no buffer in
 * between: a crash or a SIGKILL of the server loses only the records still queued, never ones taken long ago (an
 * audit needs the last calls most). A write the kill cuts short leaves a torn last record, which
 * {@link TranscriptReader} notes in one line and drops, keeping every record before it.
 */
public final class TranscriptWriter implements AutoCloseable {
    static final byte[] MAGIC = "VEILTRAN".getBytes(StandardCharsets.US_ASCII);
    static final int FORMAT_VERSION = 1;
    /** Default bound of a transcript file. */
    public static final long DEFAULT_MAX_BYTES = 4L << 30;
    /** Bytes of records queued but not yet written, at most. */
    public static final long MAX_PENDING = 256L << 20;

    private record Pending(int connection, long nanos, Message request, Message reply, long size) {}

    private final Path file;
    private final FileChannel out;
    private final long start = System.nanoTime();
    private final long maxBytes;
    private final Consumer<String> log;
    private final ArrayDeque<Pending> queue = new ArrayDeque<>();
    private final Thread writer;
    private long records, pendingBytes, written;
    private boolean stopped, closed, busy;

    public TranscriptWriter(Path file, String modelId, ModelDims shape) throws IOException {
        this(file, modelId, shape, DEFAULT_MAX_BYTES, line -> System.err.println("veil: " + line));
    }

    /**
     * @param maxBytes the file's size bound
     * @param log where the one line saying that recording stopped goes
     */
    public TranscriptWriter(Path file, String modelId, ModelDims shape, long maxBytes, Consumer<String> log) throws IOException {
        this.file = file;
        this.maxBytes = maxBytes;
        this.log = log;
        out = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE);
        byte[] id = modelId.getBytes(StandardCharsets.UTF_8);
        ByteBuffer h = ByteBuffer.allocate(8 + 2 + 2 + id.length + 7 * 4).order(ByteOrder.LITTLE_ENDIAN);
        h.put(MAGIC).putShort((short) FORMAT_VERSION).putShort((short) id.length).put(id);
        for (int v : new int[] {shape.dim(), shape.hiddenDim(), shape.layers(), shape.heads(), shape.kvHeads(), shape.headDim(), shape.vocabSize()}) {
            h.putInt(v);
        }
        writeAll(h.flip());
        written = h.capacity();
        writer = Thread.ofPlatform().daemon().name("veil-transcript").start(this::run);
    }

    /** Queues one call for the file; never blocks on the disk. */
    public void record(int connection, Message request, Message reply) {
        long size = 2 * 5 + 12 + estimate(request) + estimate(reply);
        synchronized (queue) {
            if (stopped || closed) return;
            if (pendingBytes + size > MAX_PENDING) {
                stop("the transcript writer fell " + (MAX_PENDING >> 20) + " MiB behind the server");
                return;
            }
            queue.add(new Pending(connection, System.nanoTime() - start, request, reply, size));
            pendingBytes += size;
            records++;
            queue.notifyAll();
        }
    }

    private static long estimate(Message m) {
        return 64 + switch (m) {
            case Message.Setup s -> s.base().dataBytes();
            case Message.SetupReply s -> s.restoration().dataBytes() + 4L * s.rowScales().length;
            case Message.Linear l -> l.input().dataBytes();
            case Message.LinearReply l -> l.output().dataBytes();
            case Message.Decode d -> d.hidden().dataBytes();
            case Message.DecodeReply d -> d.hidden().dataBytes();
            default -> 4096;
        };
    }

    /** Must hold the queue's lock. */
    private void stop(String why) {
        if (stopped) return;
        stopped = true;
        log.accept("transcript " + file + ": recording stopped after " + records + " records: " + why);
    }

    private void run() {
        while (true) {
            Pending p;
            synchronized (queue) {
                while (queue.isEmpty() && !closed) {
                    try {
                        queue.wait();
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                if (queue.isEmpty()) return;
                p = queue.poll();
                busy = true;
            }
            try {
                write(p);
            } catch (IOException | RuntimeException e) {
                synchronized (queue) {
                    stop("cannot write: " + e.getMessage());
                }
            } finally {
                synchronized (queue) {
                    pendingBytes -= p.size;
                    busy = false;
                    queue.notifyAll();
                }
            }
        }
    }

    private void write(Pending p) throws IOException {
        synchronized (queue) {
            if (stopped) return;
        }
        byte[] req = Codec.encode(p.request), rep = Codec.encode(p.reply);
        long size = 2 * 5 + 12 + req.length + rep.length;
        if (written + size > maxBytes) {
            synchronized (queue) {
                stop("the file reached its bound of " + maxBytes + " bytes");
            }
            return;
        }
        var head = ByteBuffer.allocate(4 + 8 + 1 + 4).order(ByteOrder.LITTLE_ENDIAN);
        head.putInt(p.connection).putLong(p.nanos).put((byte) Codec.type(p.request)).putInt(req.length).flip();
        var mid = ByteBuffer.allocate(5).order(ByteOrder.LITTLE_ENDIAN).put((byte) Codec.type(p.reply)).putInt(rep.length).flip();
        writeAll(head, ByteBuffer.wrap(req), mid, ByteBuffer.wrap(rep));
        written += size;
    }

    private void writeAll(ByteBuffer... parts) throws IOException {
        long left = 0;
        for (var b : parts) left += b.remaining();
        while (left > 0) left -= out.write(parts);
    }

    /** Records accepted so far (written, or queued to be). */
    public long records() {
        synchronized (queue) {
            return records;
        }
    }

    /** Whether recording has stopped at a bound. */
    public boolean stopped() {
        synchronized (queue) {
            return stopped;
        }
    }

    /** Waits until every queued record is in the file. */
    public void flush() throws IOException {
        synchronized (queue) {
            while (!queue.isEmpty() || busy) {
                try {
                    queue.wait(100);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted while flushing the transcript");
                }
            }
        }
    }

    @Override
    public void close() throws IOException {
        synchronized (queue) {
            if (closed) return;
            closed = true;
            queue.notifyAll();
        }
        try {
            writer.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        out.close();
    }
}
