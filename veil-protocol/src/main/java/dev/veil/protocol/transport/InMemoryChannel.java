package dev.veil.protocol.transport;

import dev.veil.protocol.ErrorCode;
import dev.veil.protocol.Frame;
import dev.veil.protocol.Message;
import dev.veil.protocol.ProtocolException;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A channel to a service in the same process, for tests and local runs. Messages still go through the codec
 * (both ways), so the service sees exactly what it would over TCP and traffic counts are the same.
 */
public final class InMemoryChannel implements Channel {
    private final Service service;
    private final Duration timeout;
    private final Peer peer = new Peer("in-memory");
    private final Traffic traffic = new Traffic();
    private volatile boolean closed;

    public InMemoryChannel(Service service, Duration timeout) {
        this.service = service;
        this.timeout = timeout;
    }

    @Override
    public Message exchange(Message request) {
        if (closed) throw new ProtocolException(ErrorCode.CLOSED, "channel is closed");
        Frame out = Frame.of(0, request);
        traffic.sent(out.size());
        try {
            Message reply = Service.answer(service, peer, out.message()).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            Frame back = Frame.of(0, reply);
            traffic.received(back.size());
            return back.message();
        } catch (TimeoutException e) {
            throw new ProtocolException(ErrorCode.TIMEOUT, "no reply from the in-process weights server within " + timeout.toSeconds() + " s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ProtocolException(ErrorCode.CLOSED, "interrupted while waiting for the weights server");
        } catch (ExecutionException e) {
            return Service.error(e.getCause());
        }
    }

    @Override
    public Traffic traffic() { return traffic; }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        service.disconnected(peer);
    }
}
