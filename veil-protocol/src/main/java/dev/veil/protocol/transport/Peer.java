package dev.veil.protocol.transport;

import java.util.concurrent.atomic.AtomicInteger;

/** A connected client as the server sees it: a number (for transcripts), its address, whether it said hello. */
public final class Peer {
    private static final AtomicInteger NEXT = new AtomicInteger();

    private final int id = NEXT.incrementAndGet();
    private final String address;
    private volatile boolean greeted;

    public Peer(String address) {
        this.address = address;
    }

    public int id() { return id; }

    public String address() { return address; }

    public boolean greeted() { return greeted; }

    public void greeted(boolean value) { greeted = value; }

    @Override
    public String toString() {
        return "peer " + id + " (" + address + ")";
    }
}
