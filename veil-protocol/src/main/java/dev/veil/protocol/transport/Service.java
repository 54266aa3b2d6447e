package dev.veil.protocol.transport;

import dev.veil.protocol.ErrorCode;
import dev.veil.protocol.Message;
import dev.veil.protocol.ProtocolException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/** The server end: answers each request, possibly later (a batching server completes the future when done). */
public interface Service {
    CompletableFuture<Message> handle(Peer peer, Message request);

    /**
     * The most bytes the reply to {@code request} can take as a payload, known before it is computed: the server
     * refuses a call whose reply would exceed its announced limit, and holds this much memory for it until the
     * reply is written. 0 when unknown.
     */
    default long replyBound(Message request) { return 0; }

    /**
     * The most bytes the server holds in memory to answer {@code request}, beside the request itself: an input it
     * expands, and the reply's values as held (ring elements as longs), until the reply is written. At least
     * {@link #replyBound}; a reply that turns out larger is held as it is.
     */
    default long heldBound(Message request) { return replyBound(request); }

    /** The peer's connection ended: state kept for it (CMIF sessions) can go. */
    default void disconnected(Peer peer) {}

    /** Runs {@code service} on {@code request}; any failure becomes an ERROR reply with a one-line text. */
    static CompletableFuture<Message> answer(Service service, Peer peer, Message request) {
        CompletableFuture<Message> reply;
        try {
            reply = service.handle(peer, request);
        } catch (RuntimeException e) {
            reply = CompletableFuture.failedFuture(e);
        }
        return reply.exceptionally(Service::error);
    }

    static Message error(Throwable e) {
        while (e instanceof CompletionException && e.getCause() != null) e = e.getCause();
        if (e instanceof ProtocolException p) return new Message.Error(p.code(), p.getMessage());
        if (e instanceof IllegalArgumentException) return new Message.Error(ErrorCode.BAD_SHAPE, e.getMessage());
        String text = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return new Message.Error(ErrorCode.SERVER_ERROR, text);
    }
}
