package dev.veil.cli;

import dev.veil.node.remo.RemoNode;
import java.io.PrintStream;
import java.util.Locale;

/** One-paragraph summaries of a trusted node's work, for stderr. */
final class RemoReport {
    private RemoReport() {}

    static void setup(PrintStream err, RemoNode node, String settings) {
        var pool = node.pool();
        err.printf(Locale.ROOT, "[remo: %s; set up %d public bases in %.0f ms (%s exchanged), restoration pools hold %s]%n",
                settings, dev.veil.node.remo.RestorationPool.matrices(dev.veil.protocol.ModelDims.of(node.model().config())).size(),
                pool.setupNanos() / 1e6, bytes(pool.setupBytes()), bytes(pool.byteSize()));
    }

    static void calls(PrintStream err, RemoNode node, int tokens) {
        var s = node.stats();
        var t = node.channel().traffic();
        double total = s.maskNanos() + s.restoreNanos() + s.roundTripNanos();
        err.printf(Locale.ROOT, "[remo: %d masked calls, %s sent + %s received (%s per token); time: mask %.0f%%, restore %.0f%%, transport %.0f%%, server %.0f%%]%n",
                s.calls(), bytes(t.bytesSent()), bytes(t.bytesReceived()), bytes((t.bytesSent() + t.bytesReceived()) / Math.max(1, tokens)),
                100 * s.maskNanos() / total, 100 * s.restoreNanos() / total, 100 * s.transportNanos() / total, 100 * s.serverNanos() / total);
    }

    static String bytes(long b) {
        if (b < 10 << 10) return b + " B";
        if (b < 10 << 20) return String.format(Locale.ROOT, "%.1f KiB", b / 1024.0);
        if (b < 10L << 30) return String.format(Locale.ROOT, "%.1f MiB", b / 1048576.0);
        return String.format(Locale.ROOT, "%.2f GiB", b / 1073741824.0);
    }
}
