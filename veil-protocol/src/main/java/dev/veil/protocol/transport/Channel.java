package dev.veil.protocol.transport;

import dev.veil.protocol.ErrorCode;
import dev.veil.protocol.Message;
import dev.veil.protocol.ProtocolException;
import java.util.function.Function;

/**
 * The client end of a connection to a weights server. Thread-safe: calls from several threads are in
 * flight at once and each gets its own reply. Every failure (an ERROR reply, a reply of the wrong type, no
 * reply within the timeout, a closed connection) is a {@link ProtocolException} with a one-line message.
 */
public interface Channel extends AutoCloseable {
    /** Sends {@code request} and returns the reply, whatever its type. */
    Message exchange(Message request);

    /** Sends {@code request} and returns its reply, which must be of {@code type}. */
    default <T extends Message> T call(Message request, Class<T> type) {
        Message reply = exchange(request);
        if (reply instanceof Message.Error e) throw new ProtocolException(e.code(), "weights server: " + e.text());
        if (!type.isInstance(reply)) {
            throw new ProtocolException(ErrorCode.BAD_FRAME, "expected " + type.getSimpleName() + " but the weights server sent " + reply.getClass().getSimpleName());
        }
        return type.cast(reply);
    }

    /**
     * Runs one call that {@code attempt} makes on the channel it is given, and returns its result. A channel over
     * several replicas of a weights server (the node's {@code Replicas}) runs {@code attempt} again on another
     * replica when one fails, so {@code attempt} must build its request afresh each time it runs (fresh masks or
     * pads), never resend one already built. Here: once, on this channel.
     */
    default <T> T attempt(Function<Channel, T> attempt) {
        return attempt.apply(this);
    }

    /**
     * The connection calls go over: this channel, or the one a view (counting, one replica's) stands for. A
     * session's state on a weights server (CMIF's KV cache) lives as long as this connection.
     */
    default Channel connection() {
        return this;
    }

    /** The peer, for messages: "weights server 10.0.0.5:7070". */
    default String peer() {
        return "weights server";
    }

    /** Bytes and frames this channel has sent and received. */
    Traffic traffic();

    @Override
    void close();
}
