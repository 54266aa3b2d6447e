package dev.veil.cli;

import dev.veil.engine.model.Model;
import dev.veil.engine.tokenizer.Tokenizer;
import dev.veil.node.Scheme;
import dev.veil.node.SessionReport;
import dev.veil.node.TrustedNode;
import dev.veil.protocol.transport.Channel;
import java.io.PrintStream;
import java.util.List;
import java.util.Locale;

/** Opens a scheme's trusted node against weights servers already connected, and says what it leaks. */
final class TrustedNodes {
    private TrustedNodes() {}

    /** The scheme against {@code servers}; they are closed if setting up fails. */
    static TrustedNode open(Scheme scheme, Model model, String modelId, List<Channel> servers) {
        try {
            return scheme.open(model, modelId, servers);
        } catch (RuntimeException e) {
            servers.forEach(Channel::close);
            throw e;
        }
    }

    /**
     * CMIF, one line after {@code prefix}: first the share of the prompt the weights server received verbatim, then the
     * prompt it was shown and the privacy spent; nothing for other schemes.
     */
    static void serverView(SessionReport report, Tokenizer tok, String prefix, PrintStream err) {
        if (report.serverPrompt() == null) return;
        err.printf(Locale.ROOT, "%s[%s: %s; the weights server saw \"%s\"; %s]%n", prefix, report.scheme(), report.verbatim(),
                tok.decode(report.serverPrompt()).replace("\n", "\\n"), report.privacy());
    }

    /** A scheme that leaks says so, once, before it runs. */
    static void warn(Scheme scheme, PrintStream err) {
        if (scheme.warning() != null) err.println("veil: warning: " + scheme.warning());
    }
}
