package dev.veil.cli;

import java.io.PrintStream;

/**
 * A progress bar on stderr, redrawn as a new line at every tenth of a stage (and at its start and end), so that
 * it reads the same on a terminal, in a log file, and through the {@code veil} launcher's stderr filter, which
 * passes whole lines only.
 */
final class ProgressBar {
    private static final int WIDTH = 30;
    private final PrintStream err;
    private String stage = "";
    private int shown = -1;

    ProgressBar(PrintStream err) {
        this.err = err;
    }

    synchronized void update(String stage, int done, int total) {
        int filled = total <= 0 ? 0 : (int) ((long) WIDTH * Math.min(done, total) / total);
        boolean newStage = !stage.equals(this.stage);
        if (!newStage && filled < shown + WIDTH / 10 && done < total) return;
        if (!newStage && done >= total && filled == shown) return;
        this.stage = stage;
        shown = filled;
        err.println("[" + "#".repeat(filled) + ".".repeat(WIDTH - filled) + "] " + done + "/" + total + " " + stage);
        err.flush();
    }

    synchronized void finish() {
        stage = "";
        shown = -1;
    }
}
