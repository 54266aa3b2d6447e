package dev.veil.protocol.transport;

import java.util.concurrent.atomic.AtomicLong;

/** Frame and byte counters of one channel, headers included. */
public final class Traffic {
    private final AtomicLong sent = new AtomicLong(), received = new AtomicLong(), frames = new AtomicLong();

    void sent(long bytes) {
        sent.addAndGet(bytes);
        frames.incrementAndGet();
    }

    void received(long bytes) {
        received.addAndGet(bytes);
    }

    /** Adds what {@code other} counted so far (a channel's traffic kept after the channel is gone). */
    public void add(Traffic other) {
        sent.addAndGet(other.bytesSent());
        received.addAndGet(other.bytesReceived());
        frames.addAndGet(other.calls());
    }

    public long bytesSent() { return sent.get(); }

    public long bytesReceived() { return received.get(); }

    /** Requests sent. */
    public long calls() { return frames.get(); }
}
