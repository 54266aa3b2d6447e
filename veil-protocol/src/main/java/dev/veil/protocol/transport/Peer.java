package dev.veil.protocol.transport;

import java.util.concurrent.atomic.AtomicInteger;

/** A connected client as the server sees it: a number (for transcripts), its address, whether it said hello. */
public final class Peer {
    private static final AtomicInteger NEXT = new AtomicInteger();

    private final int id = NEXT.incrementAndGet();
    private final String address;
    private volatile boolean greeted, closed;

    public Peer(String address) {
        this.address = address;
    }

    public int id() { return id; }

    public String address() { return address; }

    public boolean greeted() { return greeted; }

    public void greeted(boolean value) { greeted = value; }

    /** The connection has ended: state kept for this peer must not be created again. */
    public boolean closed() { return closed; }

    public void close() { closed = true; }

    @Override
    public String toString() {
        return "peer " + id + " (" + address + ")";
    }
}
