package dev.veil.cli;

import dev.veil.protocol.ErrorCode;
import dev.veil.protocol.ProtocolException;
import dev.veil.protocol.oip.Oip;
import dev.veil.protocol.transport.Http1;
import dev.veil.protocol.transport.OipChannel;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The OIP channel's exchanges over the JDK's {@code java.net.http.HttpClient} (HTTP/1.1, plaintext): the node's client
 * before {@link Http1}, kept for {@code veil bench oip} to measure against it in the same run. Not in the node.
 */
final class JdkOipTransport implements OipChannel.Transport {
    private final HttpClient http;
    private final URI base;

    JdkOipTransport(String host, int port, Duration timeout) {
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(timeout)
                .followRedirects(HttpClient.Redirect.NEVER).proxy(HttpClient.Builder.NO_PROXY)
                .executor(Runnable::run).build(); // replies complete on the client's selector thread: one thread hop fewer a call
        this.base = URI.create("http://" + host + ":" + port);
    }

    @Override
    public Http1.Reply exchange(String path, int headerLength, byte[] body, long most, Duration timeout) {
        var b = HttpRequest.newBuilder(base.resolve(path)).timeout(timeout);
        if (body == null) {
            b.GET();
        } else {
            b.header("Content-Type", "application/octet-stream").POST(HttpRequest.BodyPublishers.ofByteArray(body));
            if (headerLength >= 0) b.header(Oip.HEADER_LENGTH, String.valueOf(headerLength));
        }
        CompletableFuture<HttpResponse<byte[]>> f = http.sendAsync(b.build(), info -> bounded(info, most));
        try {
            var r = f.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
            var headers = new LinkedHashMap<String, String>();
            r.headers().map().forEach((k, v) -> headers.put(k.toLowerCase(Locale.ROOT), String.join(", ", v)));
            // what crossed the wire, roughly: the heads the client writes and reads are not visible to it
            return new Http1.Reply(r.statusCode(), headers, r.body(), true, path.length() + 200 + (body == null ? 0 : body.length),
                    r.body().length + 100 + r.headers().map().toString().length());
        } catch (TimeoutException e) {
            f.cancel(true);
            throw new ProtocolException(ErrorCode.TIMEOUT, "no reply from OIP weights server " + base.getAuthority());
        } catch (InterruptedException e) {
            f.cancel(true);
            Thread.currentThread().interrupt();
            throw new ProtocolException(ErrorCode.CLOSED, "interrupted waiting for " + base.getAuthority());
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof ProtocolException p) throw p;
            String why = c.getMessage() == null ? c.toString() : c.getMessage();
            throw new ProtocolException(ErrorCode.CLOSED, base.getAuthority() + ": " + why);
        }
    }

    /** A body of at most {@code most} bytes: a server that announces or sends more fails the call before it is all held. */
    private static HttpResponse.BodySubscriber<byte[]> bounded(HttpResponse.ResponseInfo info, long most) {
        long announced = info.headers().firstValueAsLong("content-length").orElse(-1);
        var inner = HttpResponse.BodySubscribers.ofByteArray();
        return new HttpResponse.BodySubscriber<>() {
            long seen;
            Flow.Subscription subscription;
            boolean failed;

            @Override
            public CompletionStage<byte[]> getBody() {
                return inner.getBody();
            }

            @Override
            public void onSubscribe(Flow.Subscription s) {
                subscription = s;
                inner.onSubscribe(s);
                if (announced > most) fail(new ProtocolException(ErrorCode.TOO_LARGE, "announced a reply of " + announced + " bytes"));
            }

            @Override
            public void onNext(List<ByteBuffer> items) {
                if (failed) return;
                for (ByteBuffer b : items) seen += b.remaining();
                if (seen > most) {
                    fail(new ProtocolException(ErrorCode.TOO_LARGE, "sent a reply of over " + most + " bytes"));
                    return;
                }
                inner.onNext(items);
            }

            private void fail(ProtocolException e) {
                failed = true;
                subscription.cancel();
                inner.onError(e);
            }

            @Override
            public void onError(Throwable t) {
                if (!failed) inner.onError(t);
            }

            @Override
            public void onComplete() {
                if (!failed) inner.onComplete();
            }
        };
    }

    @Override
    public void close() {
        http.shutdownNow();
    }
}
