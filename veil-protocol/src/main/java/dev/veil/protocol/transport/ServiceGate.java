package dev.veil.protocol.transport;

import dev.veil.protocol.Message;

/**
 * A service in front of another (an attestation gate): it decides whom to serve and forwards the rest, the bounds
 * the transport holds memory by included, so that nothing behind a gate is held as if it cost nothing.
 */
public abstract class ServiceGate implements Service {
    protected final Service inner;

    protected ServiceGate(Service inner) {
        this.inner = inner;
    }

    @Override
    public long replyBound(Message request) {
        return inner.replyBound(request);
    }

    @Override
    public long heldBound(Message request) {
        return inner.heldBound(request);
    }

    @Override
    public void disconnected(Peer peer) {
        inner.disconnected(peer);
    }
}
