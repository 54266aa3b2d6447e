package dev.veil.protocol.transport;

import dev.veil.protocol.ErrorCode;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * A {@link TcpServer}'s counters (connections, refusals and drops by reason, errors by code, bytes): never a
 * payload, a value or a model input. Rendered in Prometheus' text format by {@link #prometheus}.
 */
public final class ServerMetrics {
    final LongAdder accepted = new LongAdder(), greeted = new LongAdder(), framesIn = new LongAdder();
    final LongAdder bytesIn = new LongAdder(), bytesOut = new LongAdder();
    private final Map<String, LongAdder> refused = new ConcurrentHashMap<>(), dropped = new ConcurrentHashMap<>();
    private final Map<ErrorCode, LongAdder> errors = new ConcurrentHashMap<>();
    volatile java.util.function.LongSupplier open = () -> 0, heldBytes = () -> 0, heldLimit = () -> 0;
    volatile java.util.function.LongSupplier waiting = () -> 0, backlogged = () -> 0;

    void refuse(String reason) { refused.computeIfAbsent(reason, r -> new LongAdder()).increment(); }

    void drop(String reason) { dropped.computeIfAbsent(reason, r -> new LongAdder()).increment(); }

    void error(ErrorCode code) { errors.computeIfAbsent(code, c -> new LongAdder()).increment(); }

    public long accepted() { return accepted.sum(); }

    /** Bytes of requests and replies the server holds for its peers now. */
    public long heldBytes() { return heldBytes.getAsLong(); }

    /** Connections waiting for memory now: not read while they hold all they may, or a call waiting to be held. */
    public long waitingForMemory() { return waiting.getAsLong(); }

    /** Connections whose unread replies passed their backlog: nothing more is computed for them until they read. */
    public long backlogged() { return backlogged.getAsLong(); }

    public long openConnections() { return open.getAsLong(); }

    public long refusedFor(String reason) { return sum(refused, reason); }

    public long droppedFor(String reason) { return sum(dropped, reason); }

    public long errors(ErrorCode code) { return sum(errors, code); }

    private static <K> long sum(Map<K, LongAdder> m, K k) {
        var a = m.get(k);
        return a == null ? 0 : a.sum();
    }

    /** The counters in Prometheus' text exposition format (version 0.0.4). */
    public void prometheus(StringBuilder out) {
        counter(out, "veil_connections_accepted_total", "Connections accepted.", accepted.sum());
        gauge(out, "veil_connections_open", "Connections open now.", open.getAsLong());
        counter(out, "veil_peers_greeted_total", "Connections that said HELLO for the served model.", greeted.sum());
        labelled(out, "veil_peers_refused_total", "Connections refused at accept, by reason.", "reason", refused);
        labelled(out, "veil_peers_dropped_total", "Connections the server closed, by reason.", "reason", dropped);
        labelled(out, "veil_errors_total", "ERROR replies sent, by code.", "code", errors);
        counter(out, "veil_frames_received_total", "Frames received.", framesIn.sum());
        counter(out, "veil_bytes_received_total", "Bytes received in frames, headers included.", bytesIn.sum());
        counter(out, "veil_bytes_sent_total", "Bytes sent in frames, headers included.", bytesOut.sum());
        gauge(out, "veil_held_bytes", "Bytes of requests and replies held for peers now.", heldBytes.getAsLong());
        gauge(out, "veil_peers_waiting_for_memory", "Connections waiting for memory now (not read, or a call waiting).",
                waiting.getAsLong());
        gauge(out, "veil_peers_backlogged", "Connections whose unread replies passed their backlog (not read, nothing computed).",
                backlogged.getAsLong());
        gauge(out, "veil_held_bytes_limit", "The most bytes held for all peers at once.", heldLimit.getAsLong());
    }

    public static void counter(StringBuilder out, String name, String help, long value) {
        out.append("# HELP ").append(name).append(' ').append(help).append("\n# TYPE ").append(name).append(" counter\n");
        out.append(name).append(' ').append(value).append('\n');
    }

    public static void gauge(StringBuilder out, String name, String help, long value) {
        out.append("# HELP ").append(name).append(' ').append(help).append("\n# TYPE ").append(name).append(" gauge\n");
        out.append(name).append(' ').append(value).append('\n');
    }

    public static <K> void labelled(StringBuilder out, String name, String help, String label, Map<K, LongAdder> values) {
        out.append("# HELP ").append(name).append(' ').append(help).append("\n# TYPE ").append(name).append(" counter\n");
        var sorted = new TreeMap<String, Long>();
        values.forEach((k, v) -> sorted.put(k instanceof ErrorCode c ? c.name() : k.toString(), v.sum()));
        sorted.forEach((k, v) -> out.append(name).append('{').append(label).append("=\"").append(k).append("\"} ").append(v).append('\n'));
    }
}
