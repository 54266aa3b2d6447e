package dev.veil.protocol.transport;

import java.io.UncheckedIOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Which requests an HTTP endpoint of Veil ({@code veil serve}, {@code veil proxy}) answers: only its own origin's.
 * Any web page the user opens may POST to a local endpoint without a CORS preflight (a "simple" request: text/plain, a
 * form), and with DNS rebinding (its own name resolved to the endpoint's address) read the answer too. So, before
 * anything else: the Host header must name this listener (421), an Origin header must be the listener's own origin and
 * no CORS preflight is answered (403), and a POST body must be declared {@code application/json} (415), which no page
 * of another origin can send without a preflight. Host names are never resolved: a rebound name stays a foreign name.
 */
public final class OriginPolicy {
    /** Why a request is refused: its HTTP status, a short code, a message for the client. */
    public record Refusal(int status, String code, String message) {}

    private static final Pattern ORIGIN = Pattern.compile("(?i)(https?)://([^/?#@\\s]+)");
    private static final Pattern PORT = Pattern.compile("[0-9]{1,5}");

    private final String scheme;
    private final int port;
    private final Set<String> hosts = new LinkedHashSet<>(); // "host:port", each host in one spelling

    private OriginPolicy(String scheme, int port) {
        this.scheme = scheme;
        this.port = port;
    }

    /**
     * The policy of a listener bound to {@code bound}, given as {@code listenHost}: the listen address and name; on
     * loopback also localhost, 127.0.0.1 and [::1]; on a wildcard address also every interface's address (as they are
     * now) and the loopback names; each with the listener's port. {@code allowed} adds {@code NAME[:PORT]} entries
     * (the listener's port when none is given).
     *
     * @param scheme http or https, for the origin
     */
    public static OriginPolicy of(String scheme, InetSocketAddress bound, String listenHost, Collection<String> allowed) {
        var p = new OriginPolicy(scheme, bound.getPort());
        InetAddress a = bound.getAddress();
        p.allow(listenHost);
        p.allow(literal(a));
        if (a.isLoopbackAddress() || a.isAnyLocalAddress()) List.of("localhost", "127.0.0.1", "[::1]").forEach(p::allow);
        if (a.isAnyLocalAddress()) {
            try {
                NetworkInterface.networkInterfaces().flatMap(NetworkInterface::inetAddresses).forEach(i -> p.allow(literal(i)));
            } catch (SocketException e) {
                throw new UncheckedIOException("cannot list this machine's network interfaces", e);
            }
        }
        for (String name : allowed) {
            String hostPort = authority(name.strip(), p.port, true);
            if (hostPort == null) throw new IllegalArgumentException("--allowed-host '" + name + "' is not NAME[:PORT]");
            p.hosts.add(hostPort);
        }
        return p;
    }

    /** The allowed hosts, "host:port" each: for tests and logs. */
    public Set<String> hosts() {
        return Set.copyOf(hosts);
    }

    /**
     * The refusal of a request, or null to serve it.
     *
     * @param header a header's values by name (case-insensitive; null or empty when absent), as {@code Headers::get}
     */
    public Refusal check(String method, Function<String, List<String>> header) {
        List<String> host = values(header, "Host");
        if (host.size() != 1 || !hosts.contains(authority(host.getFirst(), defaultPort(scheme), false))) {
            return new Refusal(421, "misdirected_request", (host.isEmpty() ? "The request names no Host" : "Host '"
                    + String.join(", ", host) + "' is not a name this server answers to") + " (a guard against DNS rebinding; "
                    + "the operator may add names with --allowed-host).");
        }
        if (method.equals("OPTIONS") && !values(header, "Access-Control-Request-Method").isEmpty()) {
            return new Refusal(403, "cross_origin_refused", "Cross-origin requests are refused: this server answers no CORS preflight.");
        }
        List<String> origin = values(header, "Origin");
        if (!origin.isEmpty() && (origin.size() > 1 || !own(origin.getFirst()))) {
            return new Refusal(403, "cross_origin_refused", "Cross-origin requests are refused: Origin '" + String.join(", ", origin)
                    + "' is not this server's own origin.");
        }
        List<String> type = values(header, "Content-Type");
        if (method.equals("POST") && (type.size() != 1 || !json(type.getFirst()))) {
            return new Refusal(415, "unsupported_media_type", "The request body must be JSON, sent with 'Content-Type: "
                    + "application/json'" + (type.isEmpty() ? "; this request has none." : ", not '" + String.join(", ", type) + "'."));
        }
        return null;
    }

    /** {@code application/json}, with parameters such as {@code ; charset=utf-8}, in any case. */
    static boolean json(String contentType) {
        return contentType.split(";", 2)[0].strip().equalsIgnoreCase("application/json");
    }

    private boolean own(String origin) {
        Matcher m = ORIGIN.matcher(origin.strip());
        if (!m.matches() || !m.group(1).equalsIgnoreCase(scheme)) return false;
        return hosts.contains(authority(m.group(2), defaultPort(scheme), false));
    }

    private void allow(String host) {
        String h = authority(host, port, true);
        if (h != null) hosts.add(h);
    }

    private static List<String> values(Function<String, List<String>> header, String name) {
        List<String> v = header.apply(name);
        return v == null ? List.of() : v;
    }

    private static int defaultPort(String scheme) {
        return scheme.equalsIgnoreCase("https") ? 443 : 80;
    }

    /**
     * {@code host[:port]} in one spelling, "host:port" ({@code dflt} when no port is given), or null if it is not one:
     * names in lower case, addresses as the JDK writes them (IPv6 in brackets). {@code bareIpv6}: an IPv6 address without
     * brackets (and so without a port) is accepted, as an operator may write it.
     */
    static String authority(String a, int dflt, boolean bareIpv6) {
        String host = a, port = null;
        int colon = a.lastIndexOf(':');
        if (a.startsWith("[")) {
            int end = a.indexOf(']');
            if (end < 0) return null;
            host = a.substring(1, end);
            String rest = a.substring(end + 1);
            if (!rest.isEmpty() && !rest.startsWith(":")) return null;
            if (!rest.isEmpty()) port = rest.substring(1);
            if (!host.contains(":")) return null;
        } else if (colon >= 0 && a.indexOf(':') == colon) {
            host = a.substring(0, colon);
            port = a.substring(colon + 1);
        } else if (colon >= 0 && !bareIpv6) {
            return null;
        }
        int p = dflt;
        if (port != null) {
            if (!PORT.matcher(port).matches() || (p = Integer.parseInt(port)) == 0 || p > 65535) return null;
        }
        String h = host(host);
        return h == null ? null : h + ":" + p;
    }

    /** An address literal as the JDK writes it (never a DNS look-up), or a name in lower case; null if neither. */
    private static String host(String h) {
        if (h.isEmpty()) return null;
        if (h.contains(":") || h.matches("[0-9.]+")) {
            try {
                int scope = h.indexOf('%');
                return literal(InetAddress.ofLiteral(scope < 0 ? h : h.substring(0, scope)));
            } catch (IllegalArgumentException e) {
                return null;
            }
        }
        return h.toLowerCase(Locale.ROOT);
    }

    private static String literal(InetAddress a) {
        String s = a.getHostAddress();
        int scope = s.indexOf('%');
        if (scope >= 0) s = s.substring(0, scope);
        return a instanceof Inet6Address ? "[" + s + "]" : s;
    }
}
