package dev.veil.protocol.transport;

/**
 * The JDK HTTP server's bounds against slow or silent clients: a request's headers must arrive within 30 s, and at most
 * 100 of them. The JDK reads these system properties once per process, when its first server is made (static finals of
 * {@code sun.net.httpserver.ServerConfig}), so setting them per server is silently ignored once any server exists, and
 * no server can have bounds of its own. The process's entry point sets them, before anything else; an operator's
 * {@code -D} values win.
 */
public final class HttpServerLimits {
    static final String MAX_REQ_TIME = "sun.net.httpserver.maxReqTime";
    static final String MAX_REQ_HEADERS = "sun.net.httpserver.maxReqHeaders";

    private HttpServerLimits() {}

    /** Sets the bounds this process's HTTP servers will have, where the command line did not; call before any server exists. */
    public static void applyToProcess() {
        System.setProperty(MAX_REQ_TIME, System.getProperty(MAX_REQ_TIME, "30"));
        System.setProperty(MAX_REQ_HEADERS, System.getProperty(MAX_REQ_HEADERS, "100"));
    }
}
