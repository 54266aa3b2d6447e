package dev.veil.protocol.transport;

import java.security.cert.X509Certificate;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A connected client as the server sees it: a number (for transcripts), its address, the certificate it
 * authenticated with over mutual TLS (null on a plaintext connection), whether it said hello, and whether its
 * attestation evidence was accepted.
 */
public final class Peer {
    private static final AtomicInteger NEXT = new AtomicInteger();

    private final int id = NEXT.incrementAndGet();
    private final String address;
    private volatile X509Certificate certificate;
    private volatile boolean greeted, closed;
    private volatile boolean attested, backlogged;
    private volatile String attestationNote;

    public Peer(String address) {
        this(address, null);
    }

    public Peer(String address, X509Certificate certificate) {
        this.address = address;
        this.certificate = certificate;
    }

    public int id() { return id; }

    public String address() { return address; }

    /** The certificate the peer authenticated with (checked against the CA and its role), or null without TLS. */
    public X509Certificate certificate() { return certificate; }

    /** Set once the TLS handshake has checked the peer's certificate. */
    void authenticated(X509Certificate cert) { certificate = cert; }

    public boolean greeted() { return greeted; }

    public void greeted(boolean value) { greeted = value; }

    public boolean attested() { return attested; }

    public void attested(boolean value) { attested = value; }

    /** What the peer's attestation proved, for its greeting's log line (set by the gate in front of the service); null: none. */
    public String attestationNote() { return attestationNote; }

    public void attestationNote(String note) { attestationNote = note; }

    /**
     * Replies wait unwritten for this peer past {@link Connection#BACKLOG_BYTES} (it does not read them): shared work
     * computes nothing more for it until they are written, so a peer gets CPU only as fast as it reads.
     */
    public boolean backlogged() { return backlogged; }

    void backlogged(boolean value) { backlogged = value; }

    /** The connection has ended: state kept for this peer must not be created again. */
    public boolean closed() { return closed; }

    public void close() { closed = true; }

    @Override
    public String toString() {
        return "peer " + id + " (" + address + ")";
    }
}
