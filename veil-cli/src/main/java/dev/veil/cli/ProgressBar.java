package dev.veil.cli;

import java.io.PrintStream;

/**
 * A one-line progress bar on stderr, redrawn at most every 100 ms on a terminal (every 5 s into a log); a new
 * stage starts a new line.
 */
final class ProgressBar {
    private final PrintStream err;
    private final long interval = System.console() != null ? 100_000_000L : 5_000_000_000L;
    private String stage = "";
    private long last;

    ProgressBar(PrintStream err) {
        this.err = err;
    }

    synchronized void update(String stage, int done, int total) {
        long now = System.nanoTime();
        boolean newStage = !stage.equals(this.stage);
        if (!newStage && done < total && now - last < interval) return;
        if (newStage && !this.stage.isEmpty()) err.println();
        this.stage = stage;
        last = now;
        int width = 30, filled = total <= 0 ? 0 : (int) ((long) width * done / total);
        err.print("\r[" + "#".repeat(filled) + ".".repeat(width - filled) + "] " + done + "/" + total + " " + stage);
        err.flush();
    }

    synchronized void finish() {
        if (!stage.isEmpty()) err.println();
        stage = "";
    }
}
