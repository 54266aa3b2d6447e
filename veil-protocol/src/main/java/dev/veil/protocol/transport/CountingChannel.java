package dev.veil.protocol.transport;

import dev.veil.protocol.Codec;
import dev.veil.protocol.Frame;
import dev.veil.protocol.Message;

/**
 * One session's view of a shared channel: the same calls, with traffic counted for this view alone (frame
 * headers included, as the shared channel counts them), so a request can report what it sent.
 */
public final class CountingChannel implements Channel {
    private final Channel shared;
    private final Traffic traffic;

    public CountingChannel(Channel shared) {
        this(shared, new Traffic());
    }

    private CountingChannel(Channel shared, Traffic traffic) {
        this.shared = shared;
        this.traffic = traffic;
    }

    /** Each attempt on the shared channel (a replica, when it has several) is counted here too. */
    @Override
    public <T> T attempt(java.util.function.Function<Channel, T> attempt) {
        return shared.attempt(replica -> attempt.apply(replica == shared ? this : new CountingChannel(replica, traffic)));
    }

    @Override
    public Channel connection() {
        return shared.connection();
    }

    @Override
    public String peer() {
        return shared.peer();
    }

    @Override
    public Message exchange(Message request) {
        traffic.sent(Frame.HEADER_BYTES + Codec.size(request));
        Message reply = shared.exchange(request);
        traffic.received(Frame.HEADER_BYTES + Codec.size(reply));
        return reply;
    }

    @Override
    public Traffic traffic() {
        return traffic;
    }

    /** Leaves the shared channel open: it belongs to the node, not to the session. */
    @Override
    public void close() {}
}
