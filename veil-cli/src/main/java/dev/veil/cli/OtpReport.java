package dev.veil.cli;

import dev.veil.node.otp.OtpNode;
import java.io.PrintStream;
import java.util.Locale;

/** One-paragraph summaries of a one-time-pad node's work, for stderr. */
final class OtpReport {
    private OtpReport() {}

    static void setup(PrintStream err, OtpNode node) {
        var c = node.config();
        err.printf(Locale.ROOT, "[remo-otp: %s; %d matrices quantized on the node (%s); pad pools of %d rows (%s when full), %d producer%s; "
                        + "Freivalds check on %s to 2^-%d]%n",
                c.numeric(), node.matrixCount(), RemoReport.bytes(node.weightBytes()), c.poolRows(), RemoReport.bytes(node.poolCapacityBytes()),
                c.producers(), c.producers() == 1 ? "" : "s", c.checkRate() >= 1 ? "every call" : String.format(Locale.ROOT, "%.0f%% of calls", 100 * c.checkRate()),
                c.checkBits());
    }

    static void calls(PrintStream err, OtpNode node, int tokens) {
        var s = node.stats();
        var t = node.channel().traffic();
        double total = Math.max(1, s.maskNanos() + s.restoreNanos() + s.checkNanos() + s.roundTripNanos());
        err.printf(Locale.ROOT, "[remo-otp: %d calls (%d rows, %d made on the spot), %d checked, %d faults; %s sent + %s received (%s per token); "
                        + "time: mask %.0f%%, restore %.0f%%, check %.0f%%, transport %.0f%%, server %.0f%%; producers %.0f ms CPU for %d pad rows]%n",
                s.calls(), s.rows(), s.dryRows(), s.checks(), s.faults(), RemoReport.bytes(t.bytesSent()), RemoReport.bytes(t.bytesReceived()),
                RemoReport.bytes((t.bytesSent() + t.bytesReceived()) / Math.max(1, tokens)), 100 * s.maskNanos() / total, 100 * s.restoreNanos() / total,
                100 * s.checkNanos() / total, 100 * s.transportNanos() / total, 100 * s.serverNanos() / total, s.producerCpuNanos() / 1e6, s.producedRows());
    }
}
