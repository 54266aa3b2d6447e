package dev.veil.node;

/**
 * What one session cost and showed the weights server; never a secret.
 *
 * @param scheme        the scheme's name
 * @param parameters    its parameters, as {@link Scheme#describe()}
 * @param calls         requests sent to weights servers
 * @param bytesSent     bytes sent to weights servers, frame headers included
 * @param bytesReceived bytes received from them
 * @param serverPrompt  CMIF: the (sanitized) prompt tokens the server was shown; null where it sees no tokens
 * @param epsilon       CMIF: the privacy spent by this request (NaN for schemes without a privacy budget)
 * @param privacy       CMIF: the spend and what its guarantee covers, one line; null otherwise
 * @param verbatim      CMIF: the headline, put before ε: "65% of prompt tokens sent verbatim (21 of 32)"; null otherwise
 * @param verbatimShare CMIF: that share of the prompt's own tokens, 0 to 1; NaN otherwise
 */
public record SessionReport(String scheme, String parameters, long calls, long bytesSent, long bytesReceived, int[] serverPrompt,
                            double epsilon, String privacy, String verbatim, double verbatimShare) {
    /** A report without a verbatim share (a scheme that sends no tokens, or a session that has not run). */
    public SessionReport(String scheme, String parameters, long calls, long bytesSent, long bytesReceived, int[] serverPrompt,
                         double epsilon, String privacy) {
        this(scheme, parameters, calls, bytesSent, bytesReceived, serverPrompt, epsilon, privacy, null, Double.NaN);
    }

    /** A report of a scheme that shows the servers no tokens and spends no privacy budget: its traffic to all of them. */
    public static SessionReport of(Scheme scheme, dev.veil.protocol.transport.Traffic... traffic) {
        long calls = 0, sent = 0, received = 0;
        for (var t : traffic) {
            calls += t.calls();
            sent += t.bytesSent();
            received += t.bytesReceived();
        }
        return new SessionReport(scheme.name(), scheme.describe(), calls, sent, received, null, Double.NaN, null);
    }
}
